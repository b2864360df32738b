/**
 * @module io/stream-output
 * The write side every stream connection shares, TCP packets or HTTP: one cork per read event (everything answered
 * in it leaves in one write), a per-connection queue for what the kernel refused, resent on `drain`, and the read
 * gate that stops reading while the queue is past io.high_water (or while input is held back: the backlog), and the
 * connection's share of the thread's push batch (push-batch.ts: pushes made outside its events, written once at the
 * end of the turn), which every write of the connection sends first so that nothing overtakes it. Counts the bytes
 * the kernel took and the write calls, on the thread (one typed-array increment per write or drain) and, with the
 * access log on, the bytes in and out of the connection.
 */
import type { Socket } from "bun";
import type { StreamService } from "./backend.ts";
import type { IoContext } from "./io-context.ts";
import { ConnRare } from "./conn-rare.ts";
import { OutputQueue } from "./output-queue.ts";
import { PAUSE_OUTPUT, ReadGate, type BacklogOwner } from "./read-gate.ts";
import type { Batched } from "./push-batch.ts";
import { S_BYTES_IN, S_BYTES_OUT, S_SOCKET_WRITES } from "../stats/stat-fields.ts";

export type { StreamService } from "./backend.ts";

// The socket's data is the connection object; `unknown` here keeps this file below stream-connection.ts.
export type AnySocket = Socket<unknown>;

/** `flags` bits of this file: above the close reason's (close-reason.ts) and every F_* bit (stream-connection.ts). */
const O_IN_EVENT = 1 << 28;
const O_CLOSED = 1 << 29;

export abstract class StreamOutput implements Batched {
  /**
   * The connection's booleans, one bit each, behind accessors (the O_* bits here, stream-connection.ts's F_* and its
   * subclasses' from F_SUBCLASS up, the close reason in bits 24..27): every field is memory of every connection, idle
   * ones included, and a connection object of 13 to 18 fields takes 160 bytes of heap, 19 to 26 take 224
   * (docs/platform-notes.md "What a connection holds on the heap"). The hot ones read `flags` directly: a call to a
   * helper from a large caller was seen left un-inlined (http/http-dispatch.ts).
   */
  protected flags = 0;
  /**
   * The last read or write progress (bytes the kernel took), on the thread's coarse clock: the peer is in use while it
   * sends or takes what we send, so io.idle_timeout_ms and HTTP's keep-alive wait count from here. A write the kernel
   * refuses is not progress: a peer that takes nothing is cut once io.idle_timeout_ms passes (cutIfUnread). The
   * waits that time what the client sends (HTTP's body pause, WebSocket idle) keep a read clock of their own.
   */
  lastActive: number;
  protected out: OutputQueue | null = null;
  /** This connection's share of the thread's push batch (push-batch.ts): its last range, -1 = none, and its bytes. */
  batchTail = -1;
  batchBytes = 0;
  /**
   * The state of rare paths (conn-rare.ts: the read gate, topics, drain waiters, ...), made on first use, not at accept
   * (issue 17: an idle connection should cost little): most connections never pause, subscribe or wait for a drain.
   */
  protected rareMade: ConnRare | null = null;

  constructor(
    readonly socket: AnySocket,
    readonly io: IoContext,
    readonly service: StreamService,
  ) {
    this.lastActive = io.clock;
  }

  /**
   * This connection's bytes taken by the kernel, for the access log, its only reader: counted in the rare state, which
   * the access log makes at accept (stream-connection.ts), so a connection without it keeps no such field.
   */
  get bytesOut(): number {
    const r = this.rareMade;
    return r === null ? 0 : r.bytesOut;
  }

  /** This connection's bytes read, likewise counted in the rare state only (the thread's live sum is in io.stats). */
  get bytesIn(): number {
    const r = this.rareMade;
    return r === null ? 0 : r.bytesIn;
  }

  /** `n` more bytes read: the thread's sum and, with the access log on, the connection's. */
  countIn(n: number): void {
    this.io.stats[S_BYTES_IN] += n;
    const r = this.rareMade;
    if (r !== null) r.bytesIn += n;
  }

  /** `n` more bytes taken by the kernel: the thread's sum and, with the access log on, the connection's. */
  private wrote(n: number): void {
    this.io.stats[S_BYTES_OUT] += n;
    const r = this.rareMade;
    if (r !== null) r.bytesOut += n;
  }

  /** The flags, for the accessors of this file, stream-connection.ts and subclasses (hot reads use `flags` directly). */
  protected hasFlag(bit: number): boolean {
    return (this.flags & bit) !== 0;
  }

  protected setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  /** Set while a read event or an async flush runs: replies go to the thread's cork, and close waits for it. */
  get inEvent(): boolean {
    return (this.flags & O_IN_EVENT) !== 0;
  }

  set inEvent(v: boolean) {
    this.setFlag(O_IN_EVENT, v);
  }

  /** The socket closed (or, adopted by another connection, this one is done: stream-connection.ts `adopt`). */
  get closed(): boolean {
    return (this.flags & O_CLOSED) !== 0;
  }

  set closed(v: boolean) {
    this.setFlag(O_CLOSED, v);
  }

  /** The rare state, made on first use. */
  protected get rare(): ConnRare {
    return (this.rareMade ??= this.makeRare());
  }

  /** A new rare state: HTTP's has fields of its own (http/http-rare.ts). */
  protected makeRare(): ConnRare {
    return new ConnRare();
  }

  /** The read gate, if made. */
  private get gateMade(): ReadGate | null {
    const r = this.rareMade;
    return r === null ? null : r.gate;
  }

  /** The read gate, made on first use. */
  protected get gate(): ReadGate {
    return this.gateMade ?? this.makeGate();
  }

  private makeGate(): ReadGate {
    // The gate calls back into protected members (subclasses override them), hence an owner object of its own.
    const self = this;
    const owner: BacklogOwner = {
      get closed() {
        return self.closed;
      },
      backlogReady: () => this.backlogReady(),
      resumeBacklog: () => this.resumeBacklog(),
    };
    return (this.rare.gate = new ReadGate(this.socket, owner));
  }

  // ---- reading ----

  protected pauseFor(reason: number): void {
    this.gate.pause(reason);
  }

  protected resumeFor(reason: number): void {
    // No gate yet: nothing was ever paused.
    this.gateMade?.resume(reason);
  }

  isPausedFor(reason: number): boolean {
    const g = this.gateMade;
    return g !== null && g.has(reason);
  }

  /** Input received waits unanswered (see ReadGate#backlogged). */
  get backlogged(): boolean {
    const g = this.gateMade;
    return g !== null && g.backlogged;
  }

  set backlogged(v: boolean) {
    if (v || this.gateMade !== null) this.gate.backlogged = v;
  }

  /** At the end of an event that left a backlog: stop reading until it is answered (ReadGate#holdBacklog). */
  continueBacklog(): void {
    this.gateMade?.holdBacklog();
  }

  /** The backlog is answered: read again (unless another reason still holds reading). */
  backlogCleared(): void {
    this.gateMade?.cleared();
  }

  /** True when the backlog may be answered now: by default, when the output is back under high water. */
  protected backlogReady(): boolean {
    return !this.congested;
  }

  /** Answers the held input (TCP frames it, HTTP parses it); may leave a new backlog. */
  protected resumeBacklog(): void {}

  /** The output queue fell below half the high-water mark (HTTP: streamed responses may go on). */
  protected belowHalf(): void {}

  /** The same moment, for what waits on the connection as a whole (the module's `conn.drained()`). */
  protected outputRelieved(): void {}

  // ---- writing ----

  /**
   * Sends bytes: into the cork during an event (one write per event), straight to the socket otherwise. Returns
   * false once closed, or when the output is past the high-water mark (the `Conn.send` contract).
   */
  send(r: Uint8Array | string): boolean {
    if (this.closed) return false;
    if (this.inEvent) this.io.cork.add(r);
    else this.write(r);
    return !this.congested;
  }

  /** Writes everything corked during this event in one write. */
  flushCork(): void {
    const cork = this.io.cork;
    if (cork.count === 0) return;
    const rb = cork.rangeBuf;
    if (rb !== null) {
      const start = cork.rangeStart;
      const n = cork.rangeEnd - start;
      cork.reset();
      this.writeBytes(rb, start, n);
    } else if (cork.first !== null) {
      const f = cork.first;
      cork.reset();
      this.write(f);
    } else {
      const len = cork.len;
      cork.reset();
      this.writeBytes(cork.buf, 0, len);
    }
  }

  protected write(r: Uint8Array | string): void {
    if (typeof r !== "string") {
      this.writeBytes(r, 0, r.length);
      return;
    }
    if (this.closed) return;
    if (this.batchTail >= 0) this.io.batch.flushOne(this);
    if (this.out !== null && this.out.bytes > 0) {
      const b = Buffer.from(r, "utf8");
      this.enqueue(b, 0, b.length);
      return;
    }
    const w = this.socket.write(r);
    this.io.stats[S_SOCKET_WRITES]++;
    if (w < 0) return;
    if (w > 0) this.lastActive = this.io.clock;
    this.wrote(w);
    const total = Buffer.byteLength(r, "utf8");
    if (w < total) {
      const b = Buffer.from(r, "utf8");
      this.enqueue(b, w, total - w);
    }
  }

  protected writeBytes(b: Uint8Array, off: number, len: number): void {
    if (this.closed) return;
    if (this.batchTail >= 0) this.io.batch.flushOne(this);
    if (this.out !== null && this.out.bytes > 0) {
      this.enqueue(b, off, len);
      return;
    }
    const w = this.socket.write(b, off, len);
    this.io.stats[S_SOCKET_WRITES]++;
    if (w > 0) {
      this.lastActive = this.io.clock;
      this.wrote(w);
      if (w === len) return;
    } else if (w < 0) return;
    this.enqueue(b, off + w, len - w);
  }

  /** Its share of the push batch, at the end of the turn or before its next write (push-batch.ts). */
  writeBatched(buf: Uint8Array, off: number, len: number): void {
    this.writeBytes(buf, off, len);
    this.batchWritten();
  }

  /** Its share of the push batch is written once it reaches this. */
  get batchLimit(): number {
    return this.service.highWater;
  }

  /** A push is its bytes as they are (TCP, TLS; HTTP subscribes to nothing): no header (push-batch.ts runs). */
  runFrame(_r: Uint8Array, _h: Uint8Array): number {
    return 0;
  }

  /** After the batch's write: the bounds on waiting output are checked here (TCP: io.max_buffered). */
  protected batchWritten(): void {}

  /** Output waiting for this connection: its queue and its share of the push batch. */
  get pendingBytes(): number {
    this.io.batch.settle(); // a run of publishes counts its bytes for each subscriber only when it ends
    return (this.out === null ? 0 : this.out.bytes) + this.batchBytes;
  }

  private enqueue(b: Uint8Array, off: number, len: number): void {
    (this.out ??= new OutputQueue()).push(b, off, len);
    // A client that does not read must not grow our memory: stop reading it until it catches up.
    if (this.out.bytes > this.service.highWater) this.pauseFor(PAUSE_OUTPUT);
  }

  /** True while the output queue is past the high-water mark. */
  get congested(): boolean {
    return this.out !== null && this.out.bytes > this.service.highWater;
  }

  onDrain(): void {
    const out = this.out;
    if (out === null || this.closed) return;
    const before = out.bytes;
    const writes = out.writes;
    const empty = out.flush(this.socket);
    this.io.stats[S_SOCKET_WRITES] += out.writes - writes;
    if (out.bytes < before) {
      this.lastActive = this.io.clock;
      this.wrote(before - out.bytes);
    }
    if (out.bytes <= this.service.highWater / 2) {
      this.resumeFor(PAUSE_OUTPUT);
      this.belowHalf();
      this.outputRelieved();
    }
    if (this.backlogged && this.backlogReady()) this.resumeBacklog();
    if (empty) this.outputEmpty();
  }

  /** Everything queued has been written (a closing connection may finish now). */
  protected outputEmpty(): void {}

  /** Bytes waiting in the output queue (tests and statistics). */
  get queuedBytes(): number {
    return this.out === null ? 0 : this.out.bytes;
  }
}
