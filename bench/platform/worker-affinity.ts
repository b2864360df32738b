/**
 * Platform probe (docs/platform-notes.md "CPU affinity of a Worker"): a Worker pins itself to the last CPU with
 * libc's sched_setaffinity(0, ...) through bun:ffi (what src/io/cpu-affinity.ts does); the probe prints the
 * allowed-CPU list of the Worker's thread and of the main thread from /proc afterwards. Linux only.
 *
 *   bun bench/platform/worker-affinity.ts
 */
import { isMainThread, parentPort } from "node:worker_threads";
import { readFileSync, readdirSync } from "node:fs";
import { cpus } from "node:os";
import { dlopen, FFIType, ptr } from "bun:ffi";

const allowed = (task: string) => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/self/task/${task}/status`, "utf8"))?.[1];
const tid = () => readFileSync("/proc/thread-self/stat", "utf8").split(" ")[0]!;

if (!isMainThread) {
  const lib = dlopen("libc.so.6", { sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 } });
  const cpu = cpus().length - 1;
  const mask = new Uint8Array(128);
  mask[cpu >> 3] = 1 << (cpu & 7);
  const before = allowed(tid());
  const rc = lib.symbols.sched_setaffinity(0, mask.length, ptr(mask));
  parentPort!.postMessage({ tid: tid(), line: `worker thread: allowed CPUs ${before} -> sched_setaffinity(0, cpu ${cpu}) = ${rc} -> ${allowed(tid())}` });
} else {
  const mainTid = tid();
  const w = new Worker(new URL(import.meta.url).href);
  const m = await new Promise<{ tid: string; line: string }>((r) => w.addEventListener("message", (e) => r(e.data), { once: true }));
  console.log(m.line);
  console.log(`main thread: allowed CPUs ${allowed(mainTid)}`);
  const others = readdirSync("/proc/self/task").filter((t) => t !== mainTid && t !== m.tid).map((t) => allowed(t));
  console.log(`Bun's other ${others.length} threads: ${[...new Set(others)].join(" / ")}`);
  w.terminate();
}
