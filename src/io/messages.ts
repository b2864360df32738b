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

export type ToThread =
  | { t: "start"; index: number; config: Config; modules: ModuleRef[]; bindings: Binding[] }
  | { t: "stop"; drainMs: number };

export type FromThread =
  | { t: "listening"; ports: number[] }
  | { t: "start-failed"; code: string; message: string }
  | { t: "stopped" };
