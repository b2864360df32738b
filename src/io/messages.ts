/**
 * @module io/messages
 * The few control messages between the master and an I/O thread (postMessage; never on the data path).
 */
import type { Config } from "../config/keys.ts";
import type { ListenEntry } from "../config/listen-url.ts";

export interface ModuleRef {
  readonly file: string;
  readonly name: string;
}

/** A listen entry bound to the module that serves it. */
export interface Binding {
  readonly entry: ListenEntry;
  readonly module: string;
}

/** The ring pair between one I/O thread and one handler thread. */
export interface RingPair {
  /** I/O thread → handler. */
  readonly req: SharedArrayBuffer;
  /** Handler → I/O thread. */
  readonly res: SharedArrayBuffer;
}

export type ToThread =
  | { t: "start"; index: number; config: Config; modules: ModuleRef[]; bindings: Binding[]; pool: RingPair[] | null }
  | { t: "stop"; drainMs: number }
  /** Handler thread `handler` was replaced: its connections are lost; use these rings from now on. */
  | { t: "pool-handler"; handler: number; rings: RingPair };

export type ToHandler =
  | { t: "start"; index: number; config: Config; modules: ModuleRef[]; links: RingPair[] }
  | { t: "stop"; drainMs: number }
  /** I/O thread `io` was replaced: its connections are gone; use these rings from now on. */
  | { t: "pool-io"; io: number; rings: RingPair };

export type FromThread =
  | { t: "listening"; ports: number[] }
  | { t: "start-failed"; code: string; message: string }
  | { t: "stopped" };
