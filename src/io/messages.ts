/**
 * @module io/messages
 * The few control messages between the master and an I/O thread (postMessage; never on the data path).
 */
import type { Config } from "../config/keys.ts";
import type { Binding, ModuleRef } from "../module/binding.ts";
import type { StatsRef } from "../stats/stats-slot.ts";
import type { MeshRings } from "../pubsub/mesh.ts";
import type { HealthRef } from "./thread-health.ts";

/** The ring pair between one I/O thread and one handler thread. */
export interface RingPair {
  /** I/O thread → handler. */
  readonly req: SharedArrayBuffer;
  /** Handler → I/O thread. */
  readonly res: SharedArrayBuffer;
}

/** Why threads stop: the server is stopping, or a newer generation has taken over (live reload). */
export type StopMode = "stop" | "reload";

export type ToThread =
  | {
      t: "start"; index: number; proc: number | null; config: Config; modules: ModuleRef[]; bindings: Binding[]; pool: RingPair[] | null;
      /** The thread's slot of shared counters (stats/stats-slot.ts); absent: counters are kept but nobody reads them. */
      stats?: StatsRef;
      /** Rings to and from every other I/O thread of the process (pubsub/mesh.ts); absent with one I/O thread. */
      mesh?: MeshRings;
      /** The thread's watchdog slot (heartbeat, current hook: io/thread-health.ts); absent: nobody watches. */
      health?: HealthRef;
      /** The llhttp WASM module the master compiled and verified once (wasm-loader.ts), so the thread does not compile
       * it again; absent without HTTP listeners (or where the master has none): the thread compiles its own. */
      llhttp?: WebAssembly.Module;
    }
  | { t: "stop"; drainMs: number; mode: StopMode }
  /** To a prewarmed thread once the master's plan is valid: import these modules now (the start message names the
   * same ones, and the thread takes the imports it already made instead of waiting for them after it). */
  | { t: "preload"; modules: ModuleRef[] }
  /** I/O thread `peer` was replaced: its fresh rings (to it, from it). */
  | { t: "mesh-peer"; peer: number; out: SharedArrayBuffer; in: SharedArrayBuffer }
  /** Handler thread `handler` was replaced: its connections are lost; use these rings from now on. */
  | { t: "pool-handler"; handler: number; rings: RingPair }
  /** Handler thread `handler` died: fail its connections now and pin no new ones to it until it is replaced. */
  | { t: "pool-handler-lost"; handler: number }
  /** Handler thread `handler` faulted: pin new connections to its replacement on these rings; the old one drains. */
  | { t: "pool-handler-recycle"; handler: number; rings: RingPair }
  /** The faulted handler thread `handler` has stopped: close what is still pinned to it. */
  | { t: "pool-handler-retired"; handler: number };

export type ToHandler =
  | {
      t: "start"; index: number; proc: number | null; config: Config; modules: ModuleRef[];
      /** One ring pair per I/O thread link (`io` is the link's number: see master/thread-supervisor.ts). */
      links: Array<{ io: number; rings: RingPair }>;
      stats?: StatsRef; health?: HealthRef; bindings: Binding[];
    }
  /** `recycled`: a faulted thread beside its replacement: it serves its connections until they close or drainMs. */
  | { t: "stop"; drainMs: number; mode: StopMode; recycled?: boolean }
  /** I/O thread `io` was replaced: its connections are gone; use these rings from now on. */
  | { t: "pool-io"; io: number; rings: RingPair }
  /** Link `io` belonged to an I/O thread that was recycled and has now stopped: drop it and what is left on it. */
  | { t: "pool-io-retired"; io: number }
  /** The server is draining (the I/O threads go first): hooks see `stopping` from now on. */
  | { t: "draining" }
  /** The listen entries with their actual ports, once the I/O threads listen (`ctx.grocketd.ports`). */
  | { t: "bindings"; bindings: Binding[] };

export type FromThread =
  | { t: "listening"; ports: number[] }
  | { t: "start-failed"; code: string; message: string }
  | { t: "stopped" }
  /**
   * Module code threw where nothing caught it (a timer, an unhandled rejection): the thread's state may be broken.
   * It keeps serving until a replacement listens, then drains (master/worker-group.ts).
   */
  | { t: "faulted"; message: string };
