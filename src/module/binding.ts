/**
 * @module module/binding
 * Which module serves which listen entry, as the master plans it and every thread receives it (io/messages.ts
 * carries these in the start messages; module-runtime.ts turns them into `ctx.grocketd.ports`). Types only, below
 * io/ and master/ so the module runtime needs nothing from the thread wiring.
 */
import type { ListenEntry } from "../config/listen-url.ts";

/** A module file and the name its manifest gives it. */
export interface ModuleRef {
  readonly file: string;
  readonly name: string;
}

/** A listen entry bound to the module that serves it. */
export interface Binding {
  readonly entry: ListenEntry;
  readonly module: string;
}
