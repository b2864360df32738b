/**
 * @module io/tcp/tcp-connection
 * One accepted TCP connection: the `Conn` a module sees, plus the runtime's per-connection state — the partial
 * packet carried between reads, the output queue with its high-water pause, the ordered slots that keep async
 * replies in packet order, and the close sequence that calls the module's `close` exactly once, after the last reply.
 */
import type { Socket } from "bun";
import { describeError } from "../../errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { Conn, ModuleDefinition, Reply } from "../../module/types.ts";
import type { Housekept, IoContext } from "../io-context.ts";
import { OutputQueue } from "../output-queue.ts";

/** Beyond this many unanswered async packets a connection stops reading until some settle. */
export const MAX_INFLIGHT = 1024;

const PENDING = 0;
const READY = 1;
const FAILED = 2;

interface Slot {
  state: number;
  value: unknown;
}

/** The module hooks and settings one listener serves its connections with. */
export interface TcpService {
  readonly def: ModuleDefinition<unknown>;
  readonly log: Logger;
  readonly maxPacket: number;
  readonly highWater: number;
}

export type TcpSocket = Socket<TcpConnection>;

export class TcpConnection implements Conn<unknown>, Housekept {
  readonly protocol = "tcp" as const;
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly thread: number;
  state: unknown = undefined;
  lastActive: number;

  /** Bytes of an incomplete packet, kept between reads. */
  pend: Uint8Array | null = null;
  pendLen = 0;
  /** No more input is framed (closing, dropped, failed, peer ended). */
  stopReading = false;
  /** Set while a read event or an async flush is running, so close waits for the cork to be written. */
  inEvent = false;
  /** Replies not yet handed to the cork are discarded. */
  dropping = false;
  closed = false;
  inflight = 0;
  /** Whole packets wait in `pend` because this connection's output passed the high-water mark mid-read. */
  backlogged = false;
  /** Frames what a backlogged event left pending; set by the listener. */
  pump: ((c: TcpConnection) => void) | null = null;

  private out: OutputQueue | null = null;
  private slots: Slot[] = [];
  private slotHead = 0;
  private closing = false;
  private accepted = false;
  private closeHookDone = false;
  private pausedOut = false;
  private pausedInflight = false;
  private flushScheduled = false;

  constructor(
    readonly socket: TcpSocket,
    readonly io: IoContext,
    readonly svc: TcpService,
  ) {
    this.id = io.newConnId();
    this.thread = io.index;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = (socket as unknown as { remotePort?: number }).remotePort ?? 0;
    this.localPort = socket.localPort;
    this.lastActive = io.clock;
  }

  // ---- the module-facing API ----

  close(): void {
    this.closing = true;
    this.stopReading = true;
    this.maybeFinish();
  }

  drop(): void {
    this.dropping = true;
    this.close();
  }

  // ---- lifecycle ----

  /** Runs the module's accept; returns false when the connection is refused. */
  accept(): boolean {
    const accept = this.svc.def.accept;
    if (accept === undefined) {
      this.accepted = true;
      return true;
    }
    let r: unknown;
    try {
      r = accept(this as Conn<undefined>);
    } catch (err) {
      this.io.noisy.error("accept threw; connection refused", { module: this.svc.def.name, conn: this.id, error: describeError(err) });
      return false;
    }
    if (r === false) return false;
    this.state = r;
    this.accepted = true;
    return true;
  }

  /** The socket is gone (either side closed it). */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopReading = true;
    this.out = null;
    this.pend = null;
    this.pendLen = 0;
    this.io.conns.delete(this);
    if (this.inflight === 0) this.runCloseHook();
  }

  /** The peer sent FIN: answer what it sent, then close (allowHalfOpen lets the replies still go out). */
  onPeerEnd(): void {
    this.pend = null;
    this.pendLen = 0;
    this.close();
  }

  private runCloseHook(): void {
    if (this.closeHookDone || !this.accepted) return;
    this.closeHookDone = true;
    const close = this.svc.def.close;
    if (close === undefined) return;
    try {
      close(this);
    } catch (err) {
      this.io.noisy.error("close hook threw", { module: this.svc.def.name, conn: this.id, error: describeError(err) });
    }
  }

  /** Closes once nothing is owed: no async reply pending, nothing queued, not inside an event. */
  maybeFinish(): void {
    if (!this.closing || this.closed || this.inEvent) return;
    if (this.inflight > 0 || (this.out !== null && this.out.bytes > 0)) return;
    this.socket.end();
  }

  /** A hook failed or the input is bad: log, send what was already answered, close. */
  fail(message: string, err?: unknown): void {
    this.io.noisy.warn(message, {
      module: this.svc.def.name,
      conn: this.id,
      remote: `${this.remoteAddress}:${this.remotePort}`,
      error: err === undefined ? undefined : describeError(err),
    });
    this.drop();
  }

  // ---- Housekept ----

  quiescent(): boolean {
    return this.inflight === 0 && this.slots.length === 0 && this.pendLen === 0 && (this.out === null || this.out.bytes === 0);
  }

  busy(): boolean {
    return this.inflight > 0;
  }

  closeWhenDone(): void {
    this.closing = true;
    // A half-received packet may still complete during the drain; otherwise stop reading now.
    if (this.pendLen === 0) this.stopReading = true;
    this.maybeFinish();
  }

  terminate(reason: string): void {
    if (this.closed) return;
    this.io.log.debug("connection terminated", { conn: this.id, reason });
    this.socket.terminate();
  }

  idleTimeout(): void {
    if (this.out !== null && this.out.bytes > 0) {
      // The peer has not read for the whole idle time: it will not read the rest either.
      this.terminate("idle with unread output");
      return;
    }
    this.io.log.debug("idle timeout", { conn: this.id });
    this.close();
  }

  // ---- replies ----

  /** Routes one synchronous reply: straight to the cork unless async replies are still owed before it. */
  reply(r: Uint8Array | string): void {
    if (this.slots.length === 0) this.io.cork.add(r);
    else this.slots.push({ state: READY, value: r });
  }

  /** An async reply: its place in line is reserved now, its bytes are written when it and all before it settle. */
  replyLater(p: PromiseLike<Reply>): void {
    const slot: Slot = { state: PENDING, value: undefined };
    this.slots.push(slot);
    if (++this.inflight >= MAX_INFLIGHT && !this.pausedInflight) {
      this.pausedInflight = true;
      this.socket.pause();
    }
    p.then(
      (v) => this.settle(slot, READY, v),
      (e) => this.settle(slot, FAILED, e),
    );
  }

  private settle(slot: Slot, state: number, value: unknown): void {
    slot.state = state;
    slot.value = value;
    this.inflight--;
    if (this.closed) {
      if (this.inflight === 0) this.runCloseHook();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One microtask per connection batches replies that settle together into one write.
      queueMicrotask(() => this.flushSettled());
    }
  }

  private flushSettled(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    this.inEvent = true;
    this.drainSlots();
    this.inEvent = false;
    this.endEvent();
  }

  /** Moves settled replies at the head of the line into the cork. */
  drainSlots(): void {
    const slots = this.slots;
    while (this.slotHead < slots.length) {
      const s = slots[this.slotHead]!;
      if (s.state === PENDING) break;
      this.slotHead++;
      if (s.state === FAILED) {
        this.slots = [];
        this.slotHead = 0;
        this.fail("proc rejected; closing connection", s.value);
        return;
      }
      const v = s.value;
      if (v === undefined || v === null || this.dropping) continue;
      if (typeof v === "string" || v instanceof Uint8Array) this.io.cork.add(v);
      else {
        this.slots = [];
        this.slotHead = 0;
        this.fail("proc resolved to something that is not a Uint8Array, a string or nothing; closing connection");
        return;
      }
    }
    if (this.slotHead === slots.length) {
      slots.length = 0;
      this.slotHead = 0;
    }
  }

  /** End of a read event or an async flush: one write for everything corked, then housekeeping. */
  endEvent(): void {
    const cork = this.io.cork;
    if (cork.count > 0) {
      this.lastActive = this.io.clock;
      if (cork.count === 1) {
        const f = cork.first!;
        cork.reset();
        this.write(f);
      } else {
        const len = cork.len;
        cork.reset();
        this.writeBytes(cork.buf, 0, len);
      }
    }
    if (this.pausedInflight && this.inflight < MAX_INFLIGHT / 2) {
      this.pausedInflight = false;
      if (!this.pausedOut) this.socket.resume();
    }
    if (this.closing) this.maybeFinish();
  }

  private write(r: Uint8Array | string): void {
    if (typeof r !== "string") {
      this.writeBytes(r, 0, r.length);
      return;
    }
    if (this.closed) return;
    if (this.out !== null && this.out.bytes > 0) {
      const b = Buffer.from(r, "utf8");
      this.enqueue(b, 0, b.length);
      return;
    }
    const w = this.socket.write(r);
    if (w < 0) return;
    const total = Buffer.byteLength(r, "utf8");
    if (w < total) {
      const b = Buffer.from(r, "utf8");
      this.enqueue(b, w, total - w);
    }
  }

  private writeBytes(b: Uint8Array, off: number, len: number): void {
    if (this.closed) return;
    if (this.out !== null && this.out.bytes > 0) {
      this.enqueue(b, off, len);
      return;
    }
    const w = this.socket.write(b, off, len);
    if (w === len || w < 0) return;
    this.enqueue(b, off + w, len - w);
  }

  private enqueue(b: Uint8Array, off: number, len: number): void {
    (this.out ??= new OutputQueue()).push(b, off, len);
    if (this.out.bytes > this.svc.highWater && !this.pausedOut) {
      // A client that does not read must not grow our memory: stop reading it until it catches up.
      this.pausedOut = true;
      this.socket.pause();
    }
  }

  onDrain(): void {
    const out = this.out;
    if (out === null || this.closed) return;
    const before = out.bytes;
    const empty = out.flush(this.socket);
    if (out.bytes < before) this.lastActive = this.io.clock;
    if (this.pausedOut && out.bytes <= this.svc.highWater / 2) {
      this.pausedOut = false;
      if (!this.pausedInflight) this.socket.resume();
    }
    if (this.backlogged && !this.pausedOut) this.pump?.(this);
    if (empty && this.closing) this.maybeFinish();
  }

  /** After a backlogged event whose output was all accepted, no drain will come: continue on the next turn. */
  continueBacklog(): void {
    if (this.backlogged && !this.pausedOut && !this.closed) {
      setImmediate(() => {
        if (this.backlogged && !this.pausedOut) this.pump?.(this);
      });
    }
  }

  /** For tests and statistics. */
  get queuedBytes(): number {
    return this.out === null ? 0 : this.out.bytes;
  }
}
