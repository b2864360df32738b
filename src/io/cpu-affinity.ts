/**
 * @module io/cpu-affinity
 * `io.cpu_affinity` (the original's `thread_affinity`, which it read but never applied): I/O thread i pins itself to
 * CPU `cpu_affinity[i % n]`. Linux only, through libc's `sched_setaffinity` over `bun:ffi`; pid 0 means the calling
 * thread, so a Worker pins just itself (docs/platform-notes.md, "CPU affinity of a Worker": the main thread stays unpinned; Bun's own
 * helper threads are not covered). Anywhere else, or when libc cannot be opened: one warning (from thread 0; the
 * others say it at debug level) and no effect. A refused pin (say, a CPU outside the container's cpuset) is a
 * warning of that thread; the thread serves either way.
 */
import { readlinkSync } from "node:fs";
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";

/** 1024 CPUs, glibc's cpu_set_t. */
const MASK_BYTES = 128;
const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"];

interface Libc {
  sched_setaffinity(pid: number, size: number, mask: ReturnType<typeof ptr>): number;
  errno(): number;
}

let libc: Libc | string | undefined;

/** libc's functions, or why they are not available here. */
function openLibc(): Libc | string {
  if (process.platform !== "linux") return `CPU pinning works on Linux only (this is ${process.platform})`;
  const errors: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      const lib = dlopen(name, {
        sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
        __errno_location: { args: [], returns: FFIType.ptr },
      });
      return {
        sched_setaffinity: (pid, size, mask) => lib.symbols.sched_setaffinity(pid, size, mask),
        errno: () => {
          const p = lib.symbols.__errno_location();
          return p === null ? 0 : read.i32(p, 0);
        },
      };
    } catch (err) {
      errors.push(`${name}: ${describeError(err)}`);
    }
  }
  return `cannot open libc for sched_setaffinity (${errors.join("; ")})`;
}

/** This thread's kernel id (for checking /proc/<pid>/task/<tid>/status), or undefined if /proc is not there. */
function threadId(): number | undefined {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").pop());
  } catch {
    return undefined;
  }
}

/**
 * Pins the calling I/O thread (index `index`) as `io.cpu_affinity` says; an empty list does nothing. Returns the
 * CPU it is pinned to, or undefined when it is not pinned.
 */
export function pinThread(index: number, cpus: readonly number[], log: Logger): number | undefined {
  if (cpus.length === 0) return undefined;
  const cpu = cpus[index % cpus.length]!;
  libc ??= openLibc();
  if (typeof libc === "string") {
    const msg = `io.cpu_affinity ignored: ${libc}`;
    if (index === 0) log.warn(msg);
    else log.debug(msg);
    return undefined;
  }
  const mask = new Uint8Array(MASK_BYTES);
  mask[cpu >> 3] = 1 << (cpu & 7);
  const rc = libc.sched_setaffinity(0, MASK_BYTES, ptr(mask));
  if (rc !== 0) {
    const errno = libc.errno();
    const why = errno === 22 ? "EINVAL: not a CPU this process may use" : errno === 1 ? "EPERM" : `errno ${errno}`;
    log.warn(`io.cpu_affinity: cannot pin I/O thread ${index} to CPU ${cpu} (${why}); it runs unpinned`);
    return undefined;
  }
  log.info(`I/O thread ${index} pinned to CPU ${cpu}`, { tid: threadId() });
  return cpu;
}
