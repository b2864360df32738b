/**
 * @module master/serving
 * One generation of the serving side, whatever its shape: I/O threads in the master's process (ThreadSupervisor) or
 * child processes with threads of their own (ProcessSupervisor). The master starts one, and on reload starts the
 * next before it stops the previous one.
 */
import type { StopMode } from "../io/messages.ts";
import type { Binding } from "../module/binding.ts";

/** How the serving side is doing, for /readyz (status/status-server.ts). */
export interface ServingHealth {
  /** At least one I/O thread (and, in pool mode, one handler thread; with processes, one process) serves. */
  readonly serving: boolean;
  /** A thread is stalled and not yet replaced: new connections may be routed to it (SO_REUSEPORT) and hang. */
  readonly stalled: boolean;
  /** Everything that is not serving as it should, one line each; empty when all is well. */
  readonly problems: readonly string[];
}

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
  health(): ServingHealth;
}
