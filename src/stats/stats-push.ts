/**
 * @module stats/stats-push
 * Multi-process mode: a child process's threads count into the child's own registry (shared memory does not cross
 * processes), so the child sends its snapshot to the master over IPC every PUSH_MS and once more when it stops;
 * the master's status listener therefore shows child counters at most PUSH_MS old. A snapshot is a few hundred
 * bytes per thread, plus the child's process sample (process-sample.ts: one read of /proc/self/fd per push).
 */
import { sampleProcess, type ProcessSample } from "./process-sample.ts";
import { statsRegistry, type ThreadStats } from "./stats-registry.ts";

export const PUSH_MS = 1000;

export interface StatsMessage {
  readonly t: "stats";
  readonly threads: ThreadStats[];
  /** The child's own memory, CPU, fds and start (the master's process_* metrics show one series per process). */
  readonly process: ProcessSample;
}

/** Starts the periodic push; call the returned function at stop to send the last snapshot and end the timer. */
export function pushStats(send: (m: StatsMessage) => void): () => void {
  const push = () => send({ t: "stats", threads: statsRegistry().snapshot(), process: sampleProcess() });
  const timer = setInterval(push, PUSH_MS);
  return () => {
    clearInterval(timer);
    push();
  };
}
