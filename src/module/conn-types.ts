/**
 * @module module/conn-types
 * The part of the module contract that everything else builds on: a client as the hooks see it (`Conn`), what
 * `proc` may answer, and where a hook runs. A leaf (no imports), so the HTTP types (module/http-types.ts) and the
 * library types can use it while module/types.ts imports both; module/types.ts re-exports all of it.
 */

/** What `proc` may answer: bytes, a string (sent as UTF-8), or nothing (no reply for this packet). */
export type Reply = Uint8Array | string | null | undefined | void;

/** `ws`: a WebSocket connection (after the upgrade), each message a packet for `proc`. */
export type Protocol = "tcp" | "udp" | "http" | "ws";

/** What a server push (`conn.send`, `conn.publish`, `ctx.send`, `ctx.publish`) carries: bytes or a string (UTF-8). */
export type PushData = Uint8Array | string;

/**
 * What `ctx.send(id, data)` did. `sent`: written (or queued) below the connection's high-water mark; `congested`:
 * queued, but past it (slow down: see `conn.drained()`); `unknown`: no open connection has this id on this thread
 * (closed, never existed, or a UDP sender); `forwarded`: the id names another thread and the record is on its ring
 * (that thread delivers it, or counts it as `unknown_ids` when the connection is gone by then); `dropped`: the ring
 * to that thread was full, or the payload is larger than one ring record (counted as `dropped.ring`).
 */
export type SendResult = "sent" | "congested" | "unknown" | "forwarded" | "dropped";

export interface PublishOptions {
  /** `conn.publish` only: leave out the publishing connection itself (as Bun's `ws.publish` does). */
  readonly exceptSelf?: boolean | undefined;
  /** `ctx.publish`: leave out the connection with this id. */
  readonly except?: number | undefined;
}

/**
 * One client as the hooks see it: a TCP connection, the sender of a UDP datagram, or an HTTP request's connection.
 * `state` is what `accept` returned (the original's per-connection "buddy").
 */
export interface Conn<S = undefined> {
  /**
   * Unique within this process for the connection's lifetime; names its I/O thread (`id % 1024` is `thread`), so
   * `ctx.send(id, data)` reaches it from any thread. A UDP conn's id is new for every datagram.
   */
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
  /**
   * Server push: sends `data` now, from anywhere (a timer, another connection's `proc`, an async job), in order with
   * the replies: while a reply of this connection is still owed (an async `proc`), the push leaves after it. A push
   * made inside `proc` before it returns leaves ahead of that `proc`'s reply (inline and in pool mode). Returns true
   * when the bytes were taken below the high-water mark (io.high_water), false when they were queued past it (wait
   * for `drained()`) or not taken: the connection is closed or closing (no throw). Past io.max_buffered the
   * connection is dropped as a slow consumer. The bytes are referenced until written: do not modify them after.
   * UDP: one datagram to the sender, valid while the conn is (during `proc`, or until its Promise settles). HTTP:
   * raw bytes on the connection (for protocols that take it over); a response goes through `res`.
   */
  send(data: PushData): boolean;
  /** Resolves when the output queue is below half the high-water mark (at once if it is; also when it closes). */
  drained(): Promise<void>;
  /** Joins a topic (`ctx.publish` / `conn.publish` reach it on every I/O thread). False on UDP or once closed. */
  subscribe(topic: string): boolean;
  /** Leaves a topic; false when it was not subscribed. Subscriptions end with the connection anyway. */
  unsubscribe(topic: string): boolean;
  /** The topics this connection is subscribed to. */
  readonly topics: readonly string[];
  /** `ctx.publish` from this connection: `{ exceptSelf: true }` leaves it out. Returns local deliveries. */
  publish(topic: string, data: PushData, options?: PublishOptions): number;
}

/** Where a hook runs: the master, a child process, an I/O thread, or a handler thread of the pool. */
export type Role = "master" | "process" | "thread" | "handler";
