/**
 * @module master/serving
 * One generation of the serving side, whatever its shape: I/O threads in the master's process (ThreadSupervisor) or
 * child processes with threads of their own (ProcessSupervisor). The master starts one, and on reload starts the
 * next before it stops the previous one.
 */
import type { Binding, StopMode } from "../io/messages.ts";

export interface Serving {
  /** Starts everything; rejects (the caller then stops it) when anything cannot start. */
  start(): Promise<void>;
  /**
   * Stops accepting, lets in-flight replies finish within drainMs, stops. On "reload" the new generation already
   * serves: TCP connections (whose sessions cannot move) are kept until the drain time runs out, instead of being
   * closed as soon as nothing is owed on them as on "stop".
   */
  stop(drainMs: number, mode?: StopMode): Promise<void>;
  /** Listen entries with their actual ports, once start() has resolved. */
  readonly resolvedBindings: readonly Binding[];
}
