/**
 * @module io/tcp/tcp-connection
 * One TCP (or TLS) connection of a packet module: on top of the ordered reply line (line-connection.ts: the replies
 * owed while one is pending, bounded: past MAX_INFLIGHT owed or io.high_water held it stops reading) it carries the
 * partial packet between reads, server push in line with the replies, the drain (the module's `draining` hook, then serving on until the
 * client leaves or the drain time runs out), and its access log line at close. Hooks are run by the module's
 * backend (io/backend.ts); this class is the `PacketConn` it answers into.
 */
import type { AccessLog } from "../../access-log/access-log.ts";
import { S_PS_DROP_SLOW, S_PS_PUSHES } from "../../stats/stat-fields.ts";
import type { PushData } from "../../module/types.ts";
import type { PacketConn } from "../backend.ts";
import { PAUSE_INFLIGHT, type StreamService } from "../stream-connection.ts";
import { F_LINE_NEXT, LineConnection } from "./line-connection.ts";
import type { Slot } from "./reply-line.ts";

export { MAX_INFLIGHT } from "./line-connection.ts";

/** The drain has begun: `draining` was called (or there is none); the connection is served on. */
const T_DRAIN_BEGUN = F_LINE_NEXT;
/** The peer ended with whole packets held back by a backlog: they are answered, then reading stops and it closes. */
const T_FINISH_THEN_STOP = F_LINE_NEXT << 1;
/**
 * A tcp:// listener's service: the module's, and what frames what a backlogged event left pending (tcp-framing.ts), in
 * the listener's service rather than a field of each connection (issue 17). A WebSocket's service has none.
 */
export interface TcpService extends StreamService {
  readonly frameBacklog?: (c: TcpConnection) => void;
}

export class TcpConnection extends LineConnection implements PacketConn {
  /** "ws" for the WebSocket connection built on this class (ws/ws-connection.ts). A getter: no field of its own (F_*). */
  get protocol(): "tcp" | "ws" {
    return "tcp";
  }

  /** Bytes of an incomplete packet (or of whole packets held back by a backlog), kept between reads. */
  keptInput: Uint8Array | null = null;
  keptLen = 0;

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
    (this.service as TcpService).frameBacklog?.(this);
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
        const line = this.line;
        line.hold(r, this.replyOp); // counted in line.heldBytes too: pushes held are bounded like held replies
        line.heldPush += r.length;
      } else this.emit(r, this.replyOp);
    }
    return this.pushTaken();
  }

  /** Pool mode: a push made during packet `seq`'s proc leaves just ahead of its reply (inline: ahead in the cork). */
  pushBefore(slot: Slot | undefined, r: Uint8Array): boolean {
    const at = slot === undefined ? -1 : this.lineRead.indexOf(slot);
    if (at < 0 || this.closed || this.closing || r.length === 0) return this.push(r);
    if (this.line.holdBefore(at, r, this.replyOp)) {
      this.lastActive = this.io.clock;
      this.line.heldPush += r.length;
    } else this.emit(r, this.replyOp);
    return this.pushTaken();
  }

  /** Output waiting past io.max_buffered drops the connection (false); else whether it is below high water. */
  private pushTaken(): boolean {
    const line = this.lineRead;
    if (line.owed === 0 && line.heldPush !== 0) line.heldPush = 0;
    const total = this.pendingBytes + line.heldPush + (this.inEvent ? this.io.cork.size : 0);
    if (total > this.io.maxBuffered) {
      this.slowConsumer(total);
      return false;
    }
    return total <= this.service.highWater;
  }

  /**
   * pushTaken for a push taken outside this connection's events with no reply owed (WsConnection#push's direct
   * way): nothing is held in line, nothing is in the cork for it; what waits is its queue and its batch share.
   */
  protected idlePushTaken(): boolean {
    if (this.lineMade !== null) this.lineMade.heldPush = 0;
    const total = this.pendingBytes;
    if (total > this.io.maxBuffered) {
      this.slowConsumer(total);
      return false;
    }
    return total <= this.service.highWater;
  }

  /** The batch was written: what the kernel refused is queued, and the queue is bounded as at a push. */
  protected override batchWritten(): void {
    const held = this.lineRead.heldPush;
    if (this.queuedBytes + held > this.io.maxBuffered && !this.closing) {
      this.slowConsumer(this.queuedBytes + held);
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

  /**
   * Writes a push that is next in line: into the cork during an event, else into the thread's push batch (a
   * message too large to batch is written now, after this connection's share). WebSocket: framed.
   */
  protected emit(r: Uint8Array | string, _op: number): void {
    if (this.inEvent) this.io.cork.add(r);
    else if (!this.io.batch.add(this, r, this.service.highWater)) this.write(r);
  }
}
