/**
 * @module module/conn-types
 * The part of the module contract that everything else builds on: a client as the hooks see it (`Conn`), what
 * `proc` may answer, and where a hook runs. A leaf (no imports), so the HTTP types (http/http-types.ts) and the
 * library types can use it while module/types.ts imports both; module/types.ts re-exports all of it.
 */

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
   * Close without answering: the reply to the current packet and to any later one is discarded; replies owed for
   * earlier packets (async ones still pending included) are written first. Called after an `await` in an async
   * `proc`, return nothing from it: inline, the runtime cannot tell which pending reply is the current one, so the
   * cut falls at the packets not yet handed to `proc` (replies already owed, this one's included, still go out).
   * In pool mode the cut falls exactly at the packet whose `proc` called it.
   */
  drop(): void;
}

/** Where a hook runs: the master, a child process, an I/O thread, or a handler thread of the pool. */
export type Role = "master" | "process" | "thread" | "handler";
