/**
 * @module config/cpu-count
 * How many CPU numbers exist on this machine, for validating `io.cpu_affinity`. `availableParallelism()` counts only
 * the CPUs this process may use (a container or `taskset` can hide some), `cpus()` the online ones; a CPU outside
 * our own mask may still be named, and the kernel then refuses the pin (a warning at run time, not a start failure).
 */
import { availableParallelism, cpus } from "node:os";

let cached: number | undefined;

export function cpuCount(): number {
  return (cached ??= Math.max(1, availableParallelism(), cpus().length));
}
