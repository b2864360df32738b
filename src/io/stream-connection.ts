/**
 * @module io/stream-connection
 * What every stream connection shares, TCP packets or HTTP, on top of its write side (stream-output.ts): the `Conn`
 * a module sees (server push and topics included), accept through the module's backend (io/backend.ts: inline or
 * pool, this file does not know which), and the close sequence that has the backend call the module's `close`
 * exactly once, after the last reply; idle timeouts. It keeps the
 * thread's connection counters (one typed-array increment per accept and close) and each connection's own totals
 * and close reason for the access log.
 */
import type { Conn, Protocol, PublishOptions, PushData } from "../module/types.ts";
import type { Housekept, IoContext } from "./io-context.ts";
import type { BackendConn } from "./backend.ts";
import type { AccessLog } from "../access-log/access-log.ts";
import { S_CONN_OPEN, S_CONN_REFUSED, S_CONN_TOTAL, S_ERR_BAD_DATA, S_ERR_HANDLER } from "../stats/stat-fields.ts";
import { PAUSE_RING } from "./read-gate.ts";
import { StreamOutput, type AnySocket, type StreamService } from "./stream-output.ts";
import { reasonIn, terminateReason, withReason, type CloseReason } from "./close-reason.ts";

export { PAUSE_BACKLOG, PAUSE_BODY, PAUSE_INFLIGHT, PAUSE_OUTPUT, PAUSE_RING, PAUSE_WAIT } from "./read-gate.ts";
export type { AnySocket, StreamService } from "./stream-output.ts";

const F_DROPPING = 1;
const F_CLOSE_REQUESTED = 2;
const F_ACCEPTED = 4;
const F_CLOSE_HOOK_DONE = 8;
const F_CLOSING = 16;
/** stopReading: high, like stream-output.ts's O_* bits, to leave bits 5..23 to subclasses. */
const F_STOP_READING = 1 << 30;
/** The first of the bits a subclass may use in `flags` for its own rarely changed state (tcp/tcp-connection.ts). */
export const F_SUBCLASS = 32;

export abstract class StreamConnection extends StreamOutput implements Conn<unknown>, Housekept, BackendConn {
  abstract readonly protocol: Protocol;
  readonly id: number;
  readonly remoteAddress: string;
  /**
   * The remote port times 65536 plus the local port, in one field (remotePort and localPort read it): both must be
   * read at accept (Bun's socket forgets the peer's address once it closed: docs/platform-notes.md "What a connection
   * holds on the heap") and a field is memory of every connection.
   */
  private readonly ports: number;
  state: unknown = undefined;

  /** No more input is handled (closing, dropped, failed, peer ended). Read on every read event. */
  get stopReading(): boolean {
    return (this.flags & F_STOP_READING) !== 0;
  }

  set stopReading(v: boolean) {
    this.setFlag(F_STOP_READING, v);
  }

  /** The backend's own state for this connection (pool mode: its PoolSession); opaque here. */
  session: unknown = null;

  /** Why it closed, first cause wins (access-log-format.ts lists them); "" = not closing yet. */
  get closeReason(): string {
    return reasonIn(this.flags);
  }

  /** Closing: nothing more is read, and the socket ends once nothing is owed (maybeFinish). */
  protected get closing(): boolean { return this.hasFlag(F_CLOSING); }

  protected set closing(v: boolean) { this.setFlag(F_CLOSING, v); }

  /** performance.now() at accept, when the access log is on (durations); 0 otherwise. */
  get openedAt(): number {
    const r = this.rareMade;
    return r === null ? 0 : r.openedAt;
  }

  /**
   * When a full ring to the handler thread paused reading (pool mode), on the thread's coarse clock; -1 = not paused
   * for it. The server stopped reading, so the idle and request timeouts do not count that time (backendUnblocked).
   */
  protected get ringSince(): number {
    const r = this.rareMade;
    return r === null ? -1 : r.ringSince;
  }

  get remotePort(): number { return (this.ports / 65536) | 0; }

  get localPort(): number { return this.ports & 0xffff; }

  /** `adoptId`: a connection that carries on another's socket (a WebSocket after its HTTP upgrade) keeps its id. */
  constructor(socket: AnySocket, io: IoContext, service: StreamService, adoptId = 0) {
    super(socket, io, service);
    this.id = adoptId > 0 ? adoptId : io.newConnId();
    this.remoteAddress = socket.remoteAddress;
    const remotePort = (socket as unknown as { remotePort?: number }).remotePort ?? 0;
    this.ports = remotePort * 65536 + (socket.localPort & 0xffff);
    if (io.accessLog !== null) this.rare.openedAt = performance.now();
  }

  /** The I/O thread serving it. */
  get thread(): number { return this.io.index; }

  /** Replies not yet handed to the cork are discarded. */
  get dropping(): boolean { return this.hasFlag(F_DROPPING); }

  set dropping(v: boolean) { this.setFlag(F_DROPPING, v); }

  /** The module called close() or drop() (binary over HTTP stops calling proc there; PooledConn has the same field). */
  get closeRequested(): boolean { return this.hasFlag(F_CLOSE_REQUESTED); }

  set closeRequested(v: boolean) { this.setFlag(F_CLOSE_REQUESTED, v); }

  private get accepted(): boolean { return this.hasFlag(F_ACCEPTED); }

  private set accepted(v: boolean) { this.setFlag(F_ACCEPTED, v); }

  private get closeHookDone(): boolean { return this.hasFlag(F_CLOSE_HOOK_DONE); }

  private set closeHookDone(v: boolean) { this.setFlag(F_CLOSE_HOOK_DONE, v); }

  // ---- the module-facing API ----

  close(): void {
    this.because("module");
    this.closeRequested = true;
    this.closing = true;
    this.stopReading = true;
    this.maybeFinish();
  }

  drop(): void {
    this.dropping = true;
    this.close();
  }

  // ---- server push and topics (the hub is pubsub/hub.ts; TCP's ordered push is TcpConnection#send) ----

  /** This connection's topics (the hub's Subscriber contract); null until the first subscribe. Kept in `rare`. */
  get subs(): Set<string> | null {
    const r = this.rareMade;
    return r === null ? null : r.subs;
  }

  set subs(v: Set<string> | null) { if (v !== null || this.rareMade !== null) this.rare.subs = v; }

  drained(): Promise<void> {
    // Its share of the push batch counts until the end of the turn writes it (batchWritten then looks again).
    if (this.closed || (!this.congested && this.pendingBytes <= this.service.highWater)) return Promise.resolve();
    const rare = this.rare;
    return new Promise((resolve) => (rare.pushDrainWaiters ??= []).push(resolve));
  }

  private releaseDrainWaiters(): void {
    const r = this.rareMade;
    const w = r === null ? null : r.pushDrainWaiters;
    if (w === null) return;
    r!.pushDrainWaiters = null;
    for (const f of w) f();
  }

  /** A topic delivery or `ctx.send`: like `conn.send`, not counted as a push here (the hub counts). */
  push(data: PushData): boolean {
    return this.send(data);
  }

  /** Topics reach TCP and TLS connections (HTTP has no framing for them). */
  subscribe(topic: string): boolean {
    if (this.closed || this.closing || this.protocol === "http") return false;
    this.io.pubsub.subscribe(this, topic);
    return true;
  }

  unsubscribe(topic: string): boolean {
    return this.io.pubsub.unsubscribe(this, topic);
  }

  get topics(): readonly string[] {
    return this.subs === null ? [] : [...this.subs];
  }

  publish(topic: string, data: PushData, options?: PublishOptions): number {
    return this.io.pubsub.publish(topic, data, options?.exceptSelf === true ? this.id : (options?.except ?? -1));
  }

  // ---- hooks owed by subclasses ----

  /** True while replies are still owed (async work in flight). */
  abstract busy(): boolean;
  /** True when closing now loses nothing: nothing owed, queued or half-received. */
  abstract quiescent(): boolean;
  /** Per-tick timer check (idle, protocol deadlines); `now` is the thread clock. */
  abstract tick(now: number): void;

  // ---- lifecycle ----

  /** Runs the module's accept (or sends it to where it runs); returns false when the connection is refused now. */
  accept(): boolean {
    const st = this.io.stats;
    st[S_CONN_TOTAL]++;
    if (!this.service.backend.open(this)) return this.refused();
    this.accepted = true;
    st[S_CONN_OPEN]++;
    this.io.conns.add(this); // also how the pubsub hub finds a TCP connection by id (IoContext#subscriber)
    return true;
  }

  /**
   * Carries on from `prev`, whose socket this connection now serves (a WebSocket after the HTTP upgrade): accepted
   * already (the module's accept ran for `prev`), counted open once, reachable by id, its pool link taken over.
   */
  protected adopt(prev: StreamConnection): void {
    this.accepted = true;
    this.state = prev.state;
    if (this.io.accessLog !== null && prev.rareMade !== null) {
      this.rare.bytesIn = prev.rareMade.bytesIn;
      this.rare.bytesOut = prev.rareMade.bytesOut;
    }
    this.service.backend.adopt(prev, this);
    prev.accepted = false; // prev's close hook and open count are this connection's now
    prev.closed = true;
    prev.stopReading = true;
    this.io.conns.delete(prev);
    this.io.pubsub.unregister(prev);
    this.io.conns.add(this);
  }

  private refused(): false {
    this.io.stats[S_CONN_REFUSED]++;
    this.because("refused");
    return false;
  }

  /** A pending accept said no (`threw`: the hook threw, a handler error as inline). */
  refusedLater(threw: boolean): void {
    this.io.stats[S_CONN_REFUSED]++;
    if (threw) this.io.stats[S_ERR_HANDLER]++;
    this.terminate("refused by accept");
  }

  /** Records why the connection closes, unless a cause is already known. */
  protected because(reason: CloseReason): void {
    this.flags = withReason(this.flags, reason);
  }

  /** The socket is gone (either side closed it). */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopReading = true;
    // Its queue's blocks go back to the thread's free list for the connections still writing.
    this.out?.clear();
    this.out = null;
    this.batchTail = -1; // its share of the push batch is not written (push-batch.ts skips it)
    this.batchBytes = 0;
    this.io.conns.delete(this);
    this.io.pubsub.unregister(this);
    this.io.idleGc.released++; // its garbage, for the thread's idle collection (idle-gc.ts)
    this.releaseDrainWaiters();
    if (this.accepted) this.io.stats[S_CONN_OPEN]--;
    this.because("peer");
    const al = this.io.accessLog;
    if (al !== null && (this.accepted || this.closeReason === "refused")) this.logClosed(al);
    this.released();
    if (!this.busy()) this.runCloseHook();
  }

  /** The access log line(s) owed when the connection is gone (TCP: one per connection). */
  protected logClosed(_log: AccessLog): void {}

  /** Subclasses free per-connection buffers here. */
  protected released(): void {}

  /** The peer sent FIN: answer what it sent, then close (allowHalfOpen lets the replies still go out). */
  onPeerEnd(): void {
    this.because("peer");
    this.close();
  }

  protected runCloseHook(): void {
    if (this.closeHookDone || !this.accepted) return;
    this.closeHookDone = true;
    this.service.backend.close(this);
  }

  /** Closes once nothing is owed: no reply pending, nothing queued, not inside an event. */
  maybeFinish(): void {
    if (!this.closing || this.closed || this.inEvent) return;
    if (this.batchTail >= 0) this.io.batch.flushOne(this); // pushes made before the close go out before the FIN
    if (this.busy() || (this.out !== null && this.out.bytes > 0)) return;
    this.socket.end();
  }

  /** A hook failed or the input is bad: log, count (`kind`: S_ERR_BAD_DATA or S_ERR_HANDLER), send what was already answered, close. */
  fail(message: string, err?: unknown, kind = S_ERR_BAD_DATA): void {
    this.io.stats[kind]++;
    this.because(kind === S_ERR_HANDLER ? "handler_error" : "bad_data");
    this.io.noisy.warn(message, {
      module: this.service.def.name,
      conn: this.id,
      remote: `${this.remoteAddress}:${this.remotePort}`,
    }, err);
    this.drop();
  }

  closeWhenDone(): void {
    this.because("draining");
    this.closing = true;
    this.stopReading = true;
    this.maybeFinish();
  }

  terminate(reason: string): void {
    if (this.closed) return;
    this.because(terminateReason(reason));
    this.io.log.debug("connection terminated", { conn: this.id, reason });
    this.batchTail = -1;
    this.batchBytes = 0;
    this.socket.terminate();
  }

  /** io.idle_timeout_ms passed without reads, write progress or owed replies. */
  idleTimeout(): void {
    if (this.out !== null && this.out.bytes > 0) {
      // The peer has not read for the whole idle time: it will not read the rest either.
      this.terminate("idle with unread output");
      return;
    }
    this.io.log.debug("idle timeout", { conn: this.id });
    this.because("idle_timeout");
    this.close();
  }

  protected checkIdle(now: number): void {
    if (this.cutIfUnread(now)) return;
    const idle = this.io.config.io.idle_timeout_ms;
    if (idle > 0 && this.ringSince < 0 && now - this.lastActive >= idle && !this.busy()) this.idleTimeout();
  }

  /**
   * Output has waited io.idle_timeout_ms without the peer reading any of it (and without new input): it will not read
   * the rest. Cut, whatever else the connection waits for (an async reply, a streamed response), so a stalled client
   * cannot hold memory and a handler for ever. Returns true when it cut.
   */
  protected cutIfUnread(now: number): boolean {
    const idle = this.io.config.io.idle_timeout_ms;
    if (idle <= 0 || this.out === null || this.out.bytes === 0 || now - this.lastActive < idle) return false;
    this.terminate("idle with unread output");
    return true;
  }

  // ---- what the backend reports (io/backend.ts) ----

  /** Whoever ran its hooks is gone: nothing owed will come. */
  abstract handlerLost(): void;

  backendBlocked(): void {
    if (this.ringSince < 0) this.rare.ringSince = this.io.clock;
    this.pauseFor(PAUSE_RING);
  }

  /** Reads again: the time the ring held reading was the server's, so the client's clocks start again now. */
  backendUnblocked(): void {
    if (this.ringSince >= 0) {
      const now = this.io.clock;
      this.lastActive = now;
      this.ringHeld(now - this.ringSince);
      this.rare.ringSince = -1;
    }
    this.resumeFor(PAUSE_RING);
  }

  /** `ms` of reading held by a full ring ended; protocols with phase deadlines move them on (HTTP). */
  protected ringHeld(_ms: number): void {}

  protected override outputRelieved(): void {
    this.releaseDrainWaiters();
  }

  /** The batch's write may have left the queue below high water with no drain to come: drained() resolves now. */
  protected override batchWritten(): void {
    const r = this.rareMade;
    if (r !== null && r.pushDrainWaiters !== null && !this.congested) this.releaseDrainWaiters();
  }

  protected override outputEmpty(): void {
    if (this.closing) this.maybeFinish();
  }
}
