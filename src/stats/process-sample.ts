/**
 * @module stats/process-sample
 * What the standard `process_*` metrics (status/metrics-text.ts) say about one process: resident memory, CPU seconds
 * (user + system, every thread of the process), open file descriptors and start time. The master samples itself
 * when /metrics is asked for; a child process (`server.processes` > 1) samples itself each time it pushes its
 * counters to the master (stats-push.ts), never on the data path. Open fds come from /proc/self/fd and are left out
 * where that does not exist (not Linux). Plain data: crosses IPC.
 */
import { readdirSync } from "node:fs";

export interface ProcessSample {
  readonly pid: number;
  readonly residentBytes: number;
  readonly cpuSeconds: number;
  /** null where /proc/self/fd cannot be read. */
  readonly openFds: number | null;
  readonly startTimeSeconds: number;
}

/** Unix time the process started, seconds: fixed, so computed once (process.uptime() counts from the start). */
const START = Date.now() / 1000 - process.uptime();

function openFds(): number | null {
  try {
    // The listing itself holds one descriptor open on the directory while it reads it.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return null;
  }
}

export function sampleProcess(): ProcessSample {
  const cpu = process.cpuUsage();
  return {
    pid: process.pid,
    residentBytes: process.memoryUsage.rss(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    openFds: openFds(),
    startTimeSeconds: Math.floor(START * 1000) / 1000,
  };
}
