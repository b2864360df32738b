/**
 * @module module/types
 * The module contract as TypeScript types: what an author writes (`ModuleDefinition`) and what the runtime hands
 * to the hooks (`Conn`, `HookContext`). Kept free of runtime code so modules import only types from here.
 */
import type { Config, ConfigLayer } from "../config/keys.ts";
import type { Logger } from "../log/logger.ts";
import type { HttpHook } from "../http/http-types.ts";

/** What `proc` may answer: bytes, a string (sent as UTF-8), or nothing (no reply for this packet). */
export type Reply = Uint8Array | string | null | undefined | void;

export type Protocol = "tcp" | "udp" | "http";

/**
 * One client as the hooks see it: a TCP connection, the sender of a UDP datagram, or an HTTP request's connection.
 * `state` is what `accept` returned (the original's per-connection "buddy").
 */
export interface Conn<S = undefined> {
  /** Unique within this process for the connection's lifetime. */
  readonly id: number;
  readonly protocol: Protocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Index of the I/O thread that owns this connection. */
  readonly thread: number;
  /** Per-connection state returned by `accept` (undefined without an `accept` hook). */
  state: S;
  /**
   * Close the connection once the replies to every packet received so far have been written. Packets after the
   * current one are not processed.
   */
  close(): void;
  /**
   * Close without answering: the reply to the current packet (and any async reply still pending) is discarded;
   * replies already produced for earlier packets are written first.
   */
  drop(): void;
}

export type Role = "master" | "process" | "thread";

/** Passed to `init` and `term`: once in the master, once per process (multi-process mode), once per I/O thread. */
export interface HookContext {
  readonly role: Role;
  /** Thread or process index; 0 for the master. */
  readonly index: number;
  readonly config: Readonly<Config>;
  /** A logger whose lines carry the module's name. */
  readonly log: Logger;
}

/**
 * A grocketd module. Every hook is optional, but a module needs `proc` or `http`.
 *
 * @example
 * ```ts
 * import { defineModule } from "grocketd";
 * export default defineModule({
 *   name: "echo", version: "1.0.0", grocketd: "^0.1.0",
 *   check: (buf, start, end) => (end - start >= 44 ? 44 : 0), // fixed 44-byte packets
 *   proc: (packet) => packet,                                  // answer each one with itself
 * });
 * ```
 */
export interface ModuleDefinition<S = undefined> {
  /** Module name, used in logs and to pick the module for a listen entry (`?module=name`). */
  readonly name: string;
  /** The module's own semver version. */
  readonly version: string;
  /** Semver range of the grocketd module API this module was written for, e.g. "^0.1.0". */
  readonly grocketd: string;
  readonly description?: string;
  /** Configuration used when no file sets the keys (below the file, environment and flags in precedence). */
  config?(): ConfigLayer;
  init?(ctx: HookContext): void | Promise<void>;
  term?(ctx: HookContext): void | Promise<void>;
  /** A TCP connection arrived. Return `false` to reject it; anything else becomes `conn.state`. */
  accept?(conn: Conn<undefined>): S | false;
  /** The connection is gone; called exactly once per accepted connection, after its last reply. */
  close?(conn: Conn<S>): void;
  /**
   * Framing: the length of the first whole packet in `buf[start..end)`, 0 for "need more bytes", a length larger
   * than `end - start` for "the packet will be this long" (lets the runtime refuse oversized packets early), or a
   * negative number (or a throw) for bad data, which closes the connection. Without `check`, every read is one packet.
   * `buf` is only valid during the call.
   */
  check?(buf: Uint8Array, start: number, end: number, conn: Conn<S>): number;
  /**
   * One whole packet in, the reply out. `packet` is a view into the runtime's buffers, valid until `proc` returns or,
   * when it returns a Promise, until that settles; copy it (`packet.slice()`) to keep it longer. Replies leave in
   * packet order per connection even when async replies finish out of order. A throw or rejection is logged and
   * closes the connection.
   */
  proc?(packet: Uint8Array, conn: Conn<S>): Reply | Promise<Reply>;
  /**
   * One HTTP request. Answer with `res`, or return the body of a 200 response (a string is sent as
   * `text/plain; charset=utf-8`, bytes as `application/octet-stream`, a `staticResponse` as it was built).
   * A throw or rejection is logged and answered with 500; the connection stays usable.
   */
  http?: HttpHook<S>;
}
