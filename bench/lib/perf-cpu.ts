// Exact CPU time of a process tree up to a moment, for bench/startup.ts --perf: the command runs under
// `perf stat -e task-clock --control fifo:CTL,ACK`, whose counter is inherited by every thread (the I/O Workers, Bun's
// own threads, threads that already exited) and counts nanoseconds, where /proc/PID/stat counts 10 ms ticks of the
// threads alive. At the moment to measure, "disable" on the control fifo stops the count (perf answers "ack"), so the
// shutdown that follows is not counted.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PerfWrap {
  /** The command to spawn instead of `cmd`. */
  cmd: string[];
  /** Stops counting (waits for perf's ack, at most 1 s). */
  stop(): Promise<void>;
  /** The PID perf started (the server), once it exists; perf itself exits when it does. */
  childOf(perfPid: number): number | null;
  /** task-clock ms counted until stop(), after perf exited; null when perf wrote none. */
  cpuMs(): number | null;
  /** Removes the fifos and the output file. */
  dispose(): void;
}

/** Whether `perf stat -e task-clock` works here (perf installed and perf_event_open allowed). */
export function perfWorks(): boolean {
  try {
    const r = Bun.spawnSync(["perf", "stat", "-x,", "-e", "task-clock", "--", "true"], { stderr: "pipe" });
    return r.exitCode === 0 && r.stderr.toString().includes("task-clock");
  } catch {
    return false;
  }
}

export function perfWrap(cmd: string[]): PerfWrap {
  const dir = mkdtempSync(join(tmpdir(), "startup-perf-"));
  const ctl = join(dir, "ctl");
  const ack = join(dir, "ack");
  const out = join(dir, "out");
  Bun.spawnSync(["mkfifo", ctl, ack]);
  return {
    cmd: ["perf", "stat", "-x,", "-e", "task-clock", "--control", `fifo:${ctl},${ack}`, "-o", out, "--", ...cmd],
    async stop() {
      // Opening a fifo blocks until the other end opens: a subprocess keeps this process's loop free.
      const p = Bun.spawn(["sh", "-c", `echo disable > '${ctl}' && head -c 3 '${ack}'`], { stdout: "ignore", stderr: "ignore" });
      const t = setTimeout(() => p.kill(), 1000);
      await p.exited;
      clearTimeout(t);
    },
    childOf(perfPid) {
      try {
        const first = readFileSync(`/proc/${perfPid}/task/${perfPid}/children`, "utf8").trim().split(" ")[0];
        return first ? Number(first) : null;
      } catch {
        return null;
      }
    },
    cpuMs() {
      try {
        const line = readFileSync(out, "utf8").split("\n").find((l) => l.includes(",task-clock,"));
        return line === undefined ? null : Number(line.split(",")[0]);
      } catch {
        return null;
      }
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
