/**
 * @module io/backend
 * The one interface between a transport (TCP, TLS, WebSocket, HTTP's accept and close, UDP) and whoever runs its
 * module's hooks. Two implementations: `inline/` calls the hooks on this I/O thread, `pool/` sends the work to a
 * handler thread over a ring pair; only the thread wiring (thread/io-thread.ts) knows both. Nothing in io/ looks at
 * which one serves.
 *
 * A transport asks: open (accept: answered now, or pending with a refusal reported later), one packet (proc),
 * draining, close, and a UDP listener's proc. Every reply lands in the connection's reply line
 * (io/tcp/reply-line.ts): an inline sync reply straight to the cork, an inline Promise and a handler thread's answer
 * in a slot reserved in packet order. The backend reports back through the connection's `BackendConn` methods
 * (refused, handler lost, ring blocked / unblocked, a reply for a slot); an HTTP connection's responses come back
 * through http/http-backend.ts.
 *
 * Cost rule: one backend object per module and thread, made when the thread starts (one class per thread, so each
 * call site sees one shape); `packet` is a direct method call that allocates nothing on the inline sync path.
 */
import type { Conn, ModuleDefinition, Reply } from "../module/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Slot } from "./tcp/reply-line.ts";

/** The module hooks and limits one listener serves its connections with. */
export interface StreamService {
  readonly def: ModuleDefinition<unknown>;
  /** The module's index in the configuration (handler threads look it up by index). */
  readonly moduleIndex: number;
  readonly log: Logger;
  readonly maxPacket: number;
  readonly highWater: number;
  /** Who runs this module's hooks for this thread's connections (inline or pool). */
  readonly backend: ModuleBackend;
}

/** A UDP listener's `proc`: the module's own (inline), or one that answers through a handler thread (pool). */
export type DatagramProc = (packet: Uint8Array, conn: Conn<unknown>) => Reply | Promise<Reply>;

/** The thread's backend: one per I/O thread. */
export interface Backend {
  /** The backend of one module on this thread (listeners of the module share it). */
  forModule(def: ModuleDefinition<unknown>, moduleIndex: number): ModuleBackend;
  /** Records waiting to reach handler threads and to be read back (statistics); null when hooks run inline. */
  queued(): { toHandlers: number; fromHandlers: number } | null;
  stop(): Promise<void>;
}

/** What a transport asks of whoever runs one module's hooks. */
export interface ModuleBackend {
  /** True when the hooks run on this thread (a `fetch` hook's body may stream to it as it arrives). */
  readonly inline: boolean;
  /**
   * The module's accept. True: accepted, or pending (the refusal, if any, comes later through `c.refusedLater`);
   * false: refused now (counted and logged here when the hook threw).
   */
  open(c: BackendConn): boolean;
  /**
   * One packet for `proc`: `packet` is buf[off..off+n) (or buf itself). The reply goes to `c.reply`/`c.replyRange`
   * when ready now, else into a slot of the line (`c.replyLater`, `c.reserve` then `c.settle`).
   */
  packet(c: PacketConn, packet: Uint8Array, buf: Uint8Array, off: number, n: number): void;
  /** The drain began: the module's `draining`, whose reply is written like a packet's, in line. */
  draining(c: PacketConn): void;
  /** The connection is gone and owes nothing: the module's `close`, once. */
  close(c: BackendConn): void;
  /** `to` serves `from`'s socket from now on (a WebSocket after its HTTP upgrade): its state and session move. */
  adopt(from: BackendConn, to: BackendConn): void;
  /** The proc a UDP listener of this module answers with; `localPort` is read once the socket is bound. */
  datagramProc(localPort: () => number): DatagramProc;
}

/** What a stream connection offers its backend (StreamConnection implements it). */
export interface BackendConn extends Conn<unknown> {
  readonly closed: boolean;
  /** The backend's own per-connection state (the pool's session); the connection never looks inside. */
  session: unknown;
  /** A pending open was refused (`threw`: the accept hook threw, a handler error as inline). */
  refusedLater(threw: boolean): void;
  /** Whoever ran its hooks is gone (a handler thread died or its recycled generation stopped): nothing owed will come. */
  handlerLost(): void;
  /** The way to the hooks is full (a ring): stop reading until `backendUnblocked`. */
  backendBlocked(): void;
  backendUnblocked(): void;
}

/** What a packet connection (TCP, TLS, WebSocket) offers its backend: the reply line. */
export interface PacketConn extends BackendConn {
  /** drop() was called: replies from here on are discarded. */
  readonly dropping: boolean;
  /** The `op` of replies to the packet being answered (0 on TCP; a WebSocket's message opcode). */
  readonly replyOp: number;
  /** A reply ready now (in line behind any owed one). */
  reply(r: Uint8Array | string): void;
  /** A reply ready now that is the packet itself, buf[off..off+n). */
  replyRange(r: Uint8Array, buf: Uint8Array, off: number, n: number): void;
  /** A Promise: a slot is reserved now; `loans`: it may hold a view of the read buffer, which must not be reused. */
  replyLater(p: PromiseLike<Reply>, hook: string, loans: boolean): void;
  /** A place in line for an answer that comes later; `bytes`: memory it holds meanwhile. */
  reserve(bytes: number): Slot;
  /** The answer for `slot` (failed: `value` is the reason); `hook` names it in a failure. */
  settle(slot: Slot, value: unknown, failed: boolean, hook: string): void;
  /** drop() was called for `slot`'s packet: it and later replies are discarded, earlier ones still leave. */
  dropFrom(slot: Slot): void;
  /** A later push made while `slot`'s packet was handled (on a handler thread): it leaves just before that reply. */
  pushBefore(slot: Slot | undefined, r: Uint8Array): boolean;
  /** A hook failed: log, count as a handler error, send what was already answered, close. */
  handlerFailed(message: string, err?: unknown): void;
  /** Runs `fn(arg)` as one event of this connection: what it answers leaves in one write at its end. */
  cork<A>(fn: (arg: A) => void, arg: A): void;
}
