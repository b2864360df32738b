// `perf stat` attached to a running process for a span, for the counted benchmarks (bench/ws-syscalls.ts,
// bench/pubsub-syscalls.ts): task-clock and the system-call tracepoints, read back as counts keyed by the call's name
// ("syscalls" for all of them), so each benchmark only says which calls it groups and how.
import { readFileSync } from "node:fs";

/** Stops with a clear message where perf is not installed (Debian: linux-perf). */
export function requirePerf(): void {
  if (!Bun.which("perf")) throw new Error("perf not found (apt-get install linux-perf)");
}

/** task-clock, the `extra` events, every system call, and each of `calls` by name. */
export function syscallEvents(calls: readonly string[], extra: readonly string[] = []): string[] {
  return ["task-clock", ...extra, "raw_syscalls:sys_enter", ...calls.map((c) => `syscalls:sys_enter_${c}`)];
}

/**
 * Counts `events` of process `pid` into `file` from now until stop() (perf writes its file on SIGINT). `target`
 * replaces `-p pid`, e.g. ["-t", tid] for one thread.
 */
export function attachPerfStat(pid: number, file: string, events: readonly string[], target = ["-p", String(pid)]): { stop(): Promise<void> } {
  const proc = Bun.spawn(["perf", "stat", "-x,", "-o", file, "-e", events.join(","), ...target], { stdout: "ignore", stderr: "ignore" });
  return {
    async stop() {
      proc.kill("SIGINT");
      await proc.exited;
    },
  };
}

/** What `perf stat -x,` wrote: task-clock in ms, "syscalls" for all system calls, each named call by its name. */
export function readPerfStat(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const f = line.split(",");
    if (f.length < 3 || f[0] === "" || line.startsWith("#")) continue;
    const ev = f[2]!.replace(/^syscalls:sys_enter_/, "").replace(/^raw_syscalls:sys_enter$/, "syscalls");
    counts.set(ev, Number(f[0]) || 0);
  }
  return counts;
}
