/**
 * @module io/tcp/tcp-connection
 * One TCP (or TLS) connection of a packet module: on top of the shared stream connection it carries the partial
 * packet between reads, the line of replies owed while one is pending (reply-line.ts, bounded: past MAX_INFLIGHT
 * owed or io.high_water held it stops reading), the drain (the module's `draining` hook, then serving on until the
 * client leaves or the drain time runs out), and its access log line at close. Hooks are run by the module's
 * backend (io/backend.ts); this class is the `PacketConn` it answers into.
 */
import type { AccessLog } from "../../access-log/access-log.ts";
import { S_ERR_HANDLER, S_PACKETS, S_PS_DROP_SLOW, S_PS_PUSHES } from "../../stats/stat-fields.ts";
import type { PushData, Reply } from "../../module/types.ts";
import type { PacketConn } from "../backend.ts";
import { F_SUBCLASS, PAUSE_INFLIGHT, StreamConnection } from "../stream-connection.ts";
import { BAD, ReplyLine, type LineOut, type Slot } from "./reply-line.ts";

/** Beyond this many replies owed (pending, or waiting behind a pending one) a connection stops reading until some leave. */
export const MAX_INFLIGHT = 1024;

export type { StreamService as TcpService } from "../stream-connection.ts";

/** The line of every connection that never owed a reply: only read, never written (TcpConnection#lineRead). */
const EMPTY_LINE = new ReplyLine();

/** Replies settled and a flush of them scheduled (settle). */
const T_FLUSH_SCHEDULED = F_SUBCLASS;
/** The drain has begun: `draining` was called (or there is none); the connection is served on. */
const T_DRAIN_BEGUN = F_SUBCLASS << 1;
/** The peer ended with whole packets held back by a backlog: they are answered, then reading stops and it closes. */
const T_FINISH_THEN_STOP = F_SUBCLASS << 2;

/** This thread's connections with settled replies not yet written (TcpConnection#settle). */
const toFlush: TcpConnection[] = [];

export class TcpConnection extends StreamConnection implements PacketConn {
  /** "ws" for the WebSocket connection built on this class (ws/ws-connection.ts). A getter: no field of its own (F_*). */
  get protocol(): "tcp" | "ws" {
    return "tcp";
  }
  /** The `op` of replies to the packet being answered and of pushes: 0 on TCP; a WebSocket's message opcode. */
  replyOp = 0;
  protected pushOp = 0;
  /** Where the line's replies are written when not as they are (a WebSocket frames them); null = into the cork. */
  protected lineOut: LineOut | null = null;

  /** Bytes of an incomplete packet (or of whole packets held back by a backlog), kept between reads. */
  keptInput: Uint8Array | null = null;
  keptLen = 0;
  /** Promises (or handler-thread answers) not settled yet; `close` waits for them. */
  inflight = 0;
  /** Frames what a backlogged event left pending (tcp-framing.ts); set by the listener. */
  frameBacklog: ((c: TcpConnection) => void) | null = null;
  /**
   * The replies owed while one is pending, in packet order: made when first written to (`line`), since most
   * connections never owe one (issue 17: ~64 bytes and one heap object of every idle connection). `lineRead` reads it
   * without making it.
   */
  private lineMade: ReplyLine | null = null;

  get line(): ReplyLine {
    return (this.lineMade ??= new ReplyLine());
  }

  /** The line, or while none was made the shared empty one, for reading only (owed, heldBytes, end, indexOf). */
  get lineRead(): ReplyLine {
    return this.lineMade ?? EMPTY_LINE;
  }

  private packetsCounted = 0;

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

  quiescent(): boolean {
    return this.inflight === 0 && this.lineRead.owed === 0 && this.keptLen === 0 && this.pendingBytes === 0;
  }

  tick(now: number): void {
    this.checkIdle(now);
    // Between reads, what only a read in progress needs goes (issue 17): the line's array, and the buffer of a split
    // packet once nothing is left in it (no async reply holds it then: a loaned buffer is replaced, tcp-framing.ts).
    if (this.closed) return;
    this.lineMade?.release();
    if (this.keptLen === 0) this.keptInput = null;
  }

  protected override logClosed(log: AccessLog): void {
    log.tcp({
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      durationMs: this.openedAt === 0 ? 0 : performance.now() - this.openedAt,
      packets: this.packets,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      module: this.service.def.name,
      thread: this.thread,
      reason: this.closeReason,
    });
  }

  /** The socket is gone: nothing held for it may outlive it (a Promise that never settles still holds this object). */
  protected override released(): void {
    this.keptInput = null;
    this.keptLen = 0;
    this.lineMade?.clear();
  }

  override onPeerEnd(): void {
    this.because("peer");
    if (this.backlogged) {
      // Whole packets it sent are still held back: answer them (allowHalfOpen keeps the socket writable), then close.
      this.setFlag(T_FINISH_THEN_STOP, true);
      this.closing = true;
      return;
    }
    this.keptInput = null;
    this.keptLen = 0;
    this.close();
  }

  /** The peer ended with whole packets held back by a backlog (T_FINISH_THEN_STOP; read by tcp-framing.ts). */
  get finishPacketThenStop(): boolean {
    return this.hasFlag(T_FINISH_THEN_STOP);
  }

  /** After a read event or a round of backlog framing: once nothing whole is held any more, a finishing connection stops reading. */
  afterEvent(): void {
    if (!this.hasFlag(T_FINISH_THEN_STOP) || this.backlogged || this.closed) return;
    this.setFlag(T_FINISH_THEN_STOP, false);
    this.stopReading = true;
    this.keptInput = null;
    this.keptLen = 0;
    this.maybeFinish();
  }

  /** The module (or an error, an idle timeout) closes: nothing more is answered, held packets included. */
  override close(): void {
    this.setFlag(T_FINISH_THEN_STOP, false);
    super.close();
  }

  /** Finishing waits while held packets may still be answered (see T_FINISH_THEN_STOP). */
  override maybeFinish(): void {
    if (this.hasFlag(T_FINISH_THEN_STOP)) return;
    super.maybeFinish();
  }

  // ---- the drain (SIGTERM, or the old generation on reload) ----

  /**
   * A TCP session cannot move to another process: it is read and answered on until the client leaves or the drain
   * time runs out (the I/O thread then cuts it). The module's `draining` hook is called once, so it can tell the
   * client to reconnect elsewhere; what it returns is written like a reply, in line after the replies owed.
   */
  override closeWhenDone(): void {
    this.beginDrain();
  }

  /** Reload: the same as a stop (see closeWhenDone). */
  moveOn(): void {
    this.beginDrain();
  }

  private beginDrain(): void {
    if (this.hasFlag(T_DRAIN_BEGUN) || this.closed || this.stopReading) return;
    this.setFlag(T_DRAIN_BEGUN, true);
    this.service.backend.draining(this);
  }

  /** The whole packets a backlog left in `keptInput` (see StreamConnection#backlogged). */
  protected override resumeBacklog(): void {
    this.frameBacklog?.(this);
  }

  /** Held input may be framed again once the output is under high water and the line is short enough again. */
  protected override backlogReady(): boolean {
    return !this.congested && !this.isPausedFor(PAUSE_INFLIGHT);
  }

  handlerLost(): void {
    this.because("handler_lost");
    // Nothing owed will come: close cleanly with what was already answered.
    this.lineMade?.clear();
    this.inflight = 0;
    this.resumeFor(PAUSE_INFLIGHT);
    this.dropping = true;
    if (this.closed) this.runCloseHook();
    else this.close();
  }

  // ---- server push (Conn.send; topic deliveries and ctx.send come through push) ----

  /** Bytes of pushes waiting in line behind an owed reply (an estimate: released when the line is empty). */
  private heldPush = 0;

  override send(r: PushData): boolean {
    if (this.closed || this.closing) return false;
    this.io.stats[S_PS_PUSHES]++;
    return this.push(r);
  }

  /**
   * In line with the replies: behind any reply still owed (copied, as a sync reply waiting there is), into the cork
   * during this connection's own event, else into the thread's push batch, written at the end of the turn
   * (io/push-batch.ts; activity for the idle timeout is recorded then). Past io.max_buffered the client is not
   * reading: it is dropped as a slow consumer rather than let it grow the server's memory.
   */
  override push(r: PushData): boolean {
    if (this.closed || this.closing) return false;
    if (r.length > 0) {
      if (this.lineRead.owed !== 0) {
        this.lastActive = this.io.clock; // a connection that only receives pushes is in use, not idle
        this.line.hold(r, this.pushOp); // counted in line.heldBytes too: pushes held are bounded like held replies
        this.heldPush += r.length;
      } else this.emit(r, this.pushOp);
    }
    return this.pushTaken();
  }

  /** Pool mode: a push made during packet `seq`'s proc leaves just ahead of its reply (inline: ahead in the cork). */
  pushBefore(slot: Slot | undefined, r: Uint8Array): boolean {
    const at = slot === undefined ? -1 : this.lineRead.indexOf(slot);
    if (at < 0 || this.closed || this.closing || r.length === 0) return this.push(r);
    if (this.line.holdBefore(at, r, this.pushOp)) {
      this.lastActive = this.io.clock;
      this.heldPush += r.length;
    } else this.emit(r, this.pushOp);
    return this.pushTaken();
  }

  /** Output waiting past io.max_buffered drops the connection (false); else whether it is below high water. */
  private pushTaken(): boolean {
    if (this.lineRead.owed === 0) this.heldPush = 0;
    const total = this.pendingBytes + this.heldPush + (this.inEvent ? this.io.cork.size : 0);
    if (total > this.io.config.io.max_buffered) {
      this.slowConsumer(total);
      return false;
    }
    return total <= this.service.highWater;
  }

  /** The batch was written: what the kernel refused is queued, and the queue is bounded as at a push. */
  protected override batchWritten(): void {
    if (this.queuedBytes + this.heldPush > this.io.config.io.max_buffered && !this.closing) {
      this.slowConsumer(this.queuedBytes + this.heldPush);
      return;
    }
    super.batchWritten();
  }

  private slowConsumer(total: number): void {
    this.io.stats[S_PS_DROP_SLOW]++;
    this.because("slow_consumer");
    this.io.noisy.warn("slow consumer: output waiting past io.max_buffered; connection dropped", {
      module: this.service.def.name, conn: this.id, remote: `${this.remoteAddress}:${this.remotePort}`, buffered: total,
    });
    this.closing = true;
    this.stopReading = true;
    this.terminate("slow consumer");
  }

  // ---- replies ----

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
    this.inEvent = true;
    fn(arg);
    this.inEvent = false;
    this.endEvent();
  }

  /**
   * Writes a push that is next in line: into the cork during an event, else into the thread's push batch (a
   * message too large to batch is written now, after this connection's share). WebSocket: framed.
   */
  protected emit(r: Uint8Array | string, _op: number): void {
    if (this.inEvent) this.io.cork.add(r);
    else if (!this.io.batch.add(this, r, this.service.highWater)) this.write(r);
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
      if (toFlush.push(this) === 1) queueMicrotask(TcpConnection.flushAll);
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
        queueMicrotask(TcpConnection.flushAll);
      } else list.length = 0;
    }
  }

  private flushSettled(): void {
    this.setFlag(T_FLUSH_SCHEDULED, false);
    if (this.closed) {
      if (this.inflight === 0) this.runCloseHook(); // onClose left it to us (busy while this flush was owed)
      return;
    }
    this.cork(TcpConnection.drainLine, this);
    // The line moved: input held back while it was too long may be answered now.
    if (this.backlogged && this.backlogReady()) this.resumeBacklog();
  }

  /** Moves the settled head of the line into the cork (inside an event: TcpConnection#cork). */
  private static drainLine(c: TcpConnection): void {
    const failed = c.line.drainInto(c.io.cork, c.lineOut);
    if (failed === null) return;
    if (failed.state === BAD) c.handlerFailed(`${failed.value as string}; closing connection`);
    else c.handlerFailed(`${failed.hook ?? "proc"} rejected; closing connection`, failed.value);
  }

  /** End of a read event or an async flush: one write for everything corked, then the bounds and housekeeping. */
  endEvent(): void {
    // Packets are counted per connection in the framing loop and added to the thread's total once per event.
    if (this.packets !== this.packetsCounted) {
      this.io.stats[S_PACKETS] += this.packets - this.packetsCounted;
      this.packetsCounted = this.packets;
    }
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
