/**
 * @module status/process-metrics
 * The standard `process_*` metrics of the process that answers /metrics (the master, or the only process when
 * `server.processes` = 1): resident memory, CPU seconds (user + system, every thread of the process), open file
 * descriptors and start time, named as Prometheus client libraries name them so existing dashboards work. Read when
 * /metrics is asked for, never on the data path. Open fds come from /proc/self/fd and are left out where that does not
 * exist (not Linux).
 */
import { readdirSync } from "node:fs";

export interface ProcessSample {
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
    residentBytes: process.memoryUsage.rss(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    openFds: openFds(),
    startTimeSeconds: Math.floor(START * 1000) / 1000,
  };
}
