/**
 * @module io/tcp/line-connection
 * The ordered reply line of a packet connection (TCP, and WebSocket on top of it): synchronous replies go straight to
 * the cork unless one is still owed before them; an async one (a Promise, a handler-thread answer) reserves its place
 * in line (reply-line.ts) and is written once it and all before it have settled, every settled connection of the
 * thread flushed from one microtask; one read or flush is one event and one write (cork, endEvent), and past
 * MAX_INFLIGHT owed or io.high_water held the connection stops reading. The connection itself (kept input, drain,
 * push, access log) is tcp-connection.ts.
 */
import { S_ERR_HANDLER, S_PACKETS } from "../../stats/stat-fields.ts";
import type { Reply } from "../../module/types.ts";
import { F_SUBCLASS, PAUSE_INFLIGHT, StreamConnection } from "../stream-connection.ts";
import { BAD, ReplyLine, type LineOut, type Slot } from "./reply-line.ts";

/** Beyond this many replies owed (pending, or waiting behind a pending one) a connection stops reading until some leave. */
export const MAX_INFLIGHT = 1024;

/** The line of every connection that never owed a reply: only read, never written (LineConnection#lineRead). */
const EMPTY_LINE = new ReplyLine();

/** Replies settled and a flush of them scheduled (settle). */
const T_FLUSH_SCHEDULED = F_SUBCLASS;
/** The first flag bit left for a subclass (tcp-connection.ts). */
export const F_LINE_NEXT = F_SUBCLASS << 1;

/** This thread's connections with settled replies not yet written (LineConnection#settle). */
const toFlush: LineConnection[] = [];

export abstract class LineConnection extends StreamConnection {
  /**
   * The `op` of replies to the packet being answered and of pushes: 0 on TCP; a WebSocket's message opcode (its
   * own field, ws/ws-connection.ts). Accessors, not fields: every field is memory of every TCP connection (issue 17).
   */
  get replyOp(): number {
    return 0;
  }

  /** Where the line's replies are written when not as they are (a WebSocket frames them); null = into the cork. */
  protected get lineOut(): LineOut | null {
    return null;
  }
  /** Promises (or handler-thread answers) not settled yet; `close` waits for them. */
  inflight = 0;
  /**
   * The replies owed while one is pending, in packet order: made when first written to (`line`), since most
   * connections never owe one (issue 17: ~64 bytes and one heap object of every idle connection). `lineRead` reads it
   * without making it.
   */
  protected lineMade: ReplyLine | null = null;

  get line(): ReplyLine {
    return (this.lineMade ??= new ReplyLine());
  }

  /** The line, or while none was made the shared empty one, for reading only (owed, heldBytes, end, indexOf). */
  get lineRead(): ReplyLine {
    return this.lineMade ?? EMPTY_LINE;
  }

  /**
   * Packets served on this connection, for the access log's TCP line, its only reader (HTTP keeps no such total):
   * counted in the rare state, which the access log makes at accept, as bytesIn is (io/stream-output.ts).
   */
  get packets(): number {
    const r = this.rareMade;
    return r === null ? 0 : r.packets;
  }

  /** One more packet handed to the backend: the thread's total and, with the access log on, this connection's. */
  countPacket(): void {
    this.io.stats[S_PACKETS]++;
    const r = this.rareMade;
    if (r !== null) r.packets++;
  }

  /** Replies owed (for the bounds, tests and statistics). */
  get owed(): number {
    return this.lineRead.owed;
  }

  /** Bytes of replies held behind a pending one. */
  get heldBytes(): number {
    return this.lineRead.heldBytes;
  }

  busy(): boolean {
    // Settled replies not yet moved to the cork count too: a close() arriving with the last reply must not end the
    // socket before the flush that writes it.
    return this.inflight > 0 || this.hasFlag(T_FLUSH_SCHEDULED);
  }

  /**
   * Close without answering further: the packet being handled now and later ones get no reply, but replies owed for
   * earlier packets (async ones still pending included) are written first. A throwing proc comes here too.
   */
  override drop(): void {
    this.cutLineAt(this.line.end);
  }

  /** drop() was called for `slot`'s packet (on a handler thread): it and later replies are discarded. */
  dropFrom(slot: Slot): void {
    this.cutLineAt(this.line.indexOf(slot));
  }

  private cutLineAt(cut: number): void {
    if (!this.dropping) this.line.cutAt(cut);
    super.drop();
  }

  handlerFailed(message: string, err?: unknown): void {
    this.fail(message, err, S_ERR_HANDLER);
  }

  /** Runs `fn(arg)` as one event: what it answers is corked and leaves in one write at its end (endEvent). */
  cork<A>(fn: (arg: A) => void, arg: A): void {
    if (this.inEvent) return fn(arg);
    this.io.events++;
    this.inEvent = true;
    fn(arg);
    this.inEvent = false;
    this.endEvent();
  }


  /** Routes one synchronous reply: straight to the cork unless replies are still owed before it. */
  reply(r: Uint8Array | string): void {
    if (this.lineRead.owed === 0) this.io.cork.add(r);
    else this.line.hold(r);
  }

  /** A synchronous reply that is the packet itself, buf[off..off+n): corked as a range when nothing is owed before it. */
  replyRange(r: Uint8Array, buf: Uint8Array, off: number, n: number): void {
    if (this.lineRead.owed === 0) this.io.cork.addRange(buf, off, n);
    else this.line.hold(r);
  }

  /**
   * An async reply: its place in line is reserved now, its bytes are written when it and all before it settle.
   * `loans`: the Promise may hold a view of the read buffer, which is then replaced rather than overwritten.
   */
  replyLater(p: PromiseLike<Reply>, hook = "proc", loans = false): void {
    if (loans) this.io.loaned = true;
    const slot = this.reserve(0);
    p.then(
      (v) => this.settle(slot, v, false, hook),
      (e) => this.settle(slot, e, true, hook),
    );
  }

  /** A place in line for an answer that comes later (a Promise, a handler thread); `bytes`: memory it holds meanwhile. */
  reserve(bytes: number): Slot {
    this.inflight++;
    return this.line.reserve(bytes, this.replyOp);
  }

  /** The answer for `slot` arrived (failed: `value` is the reason); written once everything before it has. */
  settle(slot: Slot, value: unknown, failed: boolean, hook: string): void {
    this.inflight--;
    if (this.closed) {
      if (this.inflight === 0) this.runCloseHook();
      return;
    }
    if (failed) this.line.reject(slot, value, hook);
    else this.line.resolve(slot, value, hook);
    if (!this.hasFlag(T_FLUSH_SCHEDULED)) {
      this.setFlag(T_FLUSH_SCHEDULED, true);
      // Replies that settle together (a batch of handler-thread records, Promises resolved in one turn) leave in one
      // write per connection, all from one microtask per thread: no closure or microtask per connection and batch.
      if (toFlush.push(this) === 1) queueMicrotask(LineConnection.flushAll);
    }
  }

  /** Flushes every connection queued by settle(); one that throws does not strand those behind it. */
  private static flushAll(): void {
    const list = toFlush;
    let i = 0;
    try {
      for (; i < list.length; i++) list[i]!.flushSettled();
    } finally {
      if (i < list.length) {
        list.splice(0, i + 1);
        queueMicrotask(LineConnection.flushAll);
      } else list.length = 0;
    }
  }

  private flushSettled(): void {
    this.setFlag(T_FLUSH_SCHEDULED, false);
    if (this.closed) {
      if (this.inflight === 0) this.runCloseHook(); // onClose left it to us (busy while this flush was owed)
      return;
    }
    this.cork(LineConnection.drainLine, this);
    // The line moved: input held back while it was too long may be answered now.
    if (this.backlogged && this.backlogReady()) this.resumeBacklog();
  }

  /** Moves the settled head of the line into the cork (inside an event: LineConnection#cork). */
  private static drainLine(c: LineConnection): void {
    const failed = c.line.drainInto(c.io.cork, c.lineOut);
    if (failed === null) return;
    if (failed.state === BAD) c.handlerFailed(`${failed.value as string}; closing connection`);
    else c.handlerFailed(`${failed.hook ?? "proc"} rejected; closing connection`, failed.value);
  }

  /** End of a read event or an async flush: one write for everything corked, then the bounds and housekeeping. */
  endEvent(): void {
    this.flushCork();
    const line = this.lineRead;
    if (line.owed !== 0 || this.isPausedFor(PAUSE_INFLIGHT)) {
      // Replies owed or held behind a pending one are memory the client makes us keep: past MAX_INFLIGHT of them, or
      // io.high_water of held bytes, stop reading; read again below half of both.
      const hw = this.service.highWater;
      if (line.owed >= MAX_INFLIGHT || line.heldBytes > hw) this.pauseFor(PAUSE_INFLIGHT);
      else if (line.owed < MAX_INFLIGHT / 2 && line.heldBytes <= hw / 2) this.resumeFor(PAUSE_INFLIGHT);
    }
    if (this.closing) this.maybeFinish();
  }
}
