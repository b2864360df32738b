/**
 * @module io/tcp/tcp-connection
 * One TCP connection of a packet module: on top of the shared stream connection it carries the partial packet
 * between reads and the ordered slots that keep async replies in packet order, and its access log line at close.
 */
import type { AccessLog } from "../../access-log/access-log.ts";
import { S_ERR_HANDLER, S_PACKETS, S_PS_DROP_SLOW, S_PS_PUSHES } from "../../stats/stat-fields.ts";
import type { PushData, Reply } from "../../module/types.ts";
import { K_PACKET, K_REJECT, K_REPLY, R_CLOSE, R_DROP, R_EMPTY, R_FAIL, R_PART } from "../../pool/pool-protocol.ts";
import { PAUSE_INFLIGHT, StreamConnection } from "../stream-connection.ts";

/** Beyond this many unanswered async packets a connection stops reading until some settle. */
export const MAX_INFLIGHT = 1024;

const PENDING = 0;
const READY = 1;
const FAILED = 2;

interface Slot {
  state: number;
  value: unknown;
}

export type { StreamService as TcpService } from "../stream-connection.ts";

export class TcpConnection extends StreamConnection {
  readonly protocol = "tcp" as const;

  /** Bytes of an incomplete packet (or of whole packets held back by a backlog), kept between reads. */
  pend: Uint8Array | null = null;
  pendLen = 0;
  inflight = 0;
  /** Frames what a backlogged event left pending; set by the listener. */
  pump: ((c: TcpConnection) => void) | null = null;

  private slots: Slot[] = [];
  private slotHead = 0;
  /** Once dropping, slots from this index on are discarded; the replies owed before it are still written. */
  private dropCut = 0;
  private flushScheduled = false;
  private packetsCounted = 0;
  /** Pool mode: replies owed by the handler thread, by sequence number; parts of a reply larger than one record. */
  private pooled: Map<number, Slot> | null = null;
  private parts: Map<number, Uint8Array[]> | null = null;
  private poolSeq = 0;

  busy(): boolean {
    // Settled replies not yet moved to the cork count too: a close() arriving with the last reply must not end the
    // socket before the flush that writes it.
    return this.inflight > 0 || this.flushScheduled;
  }

  quiescent(): boolean {
    return this.inflight === 0 && this.slots.length === 0 && this.pendLen === 0 && this.queuedBytes === 0;
  }

  tick(now: number): void {
    this.checkIdle(now);
  }

  protected override logClosed(log: AccessLog): void {
    log.tcp({
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      durationMs: this.openedAt === 0 ? 0 : performance.now() - this.openedAt,
      packets: this.packets,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      module: this.svc.def.name,
      thread: this.thread,
      reason: this.closeReason,
    });
  }

  protected override released(): void {
    this.pend = null;
    this.pendLen = 0;
  }

  override onPeerEnd(): void {
    this.because("peer");
    if (this.backlogged) {
      // Whole packets it sent are still held back: answer them (allowHalfOpen keeps the socket writable), then close.
      this.peerEnded = true;
      this.finishPacketThenStop = true;
      this.closing = true;
      return;
    }
    this.pend = null;
    this.pendLen = 0;
    this.close();
  }

  /**
   * Closing without losing what was received: whole packets held back by a backlog are answered, and a packet half
   * received may still complete (bounded by the drain time); then reading stops and the connection finishes.
   */
  finishPacketThenStop = false;
  private peerEnded = false;

  override closeWhenDone(): void {
    this.because("draining");
    this.closing = true;
    if (this.pendLen === 0 && !this.backlogged) this.stopReading = true;
    else this.finishPacketThenStop = true;
    this.maybeFinish();
  }

  /** After a read event or a backlog pump: once nothing whole is held any more, a finishing connection stops reading. */
  afterEvent(): void {
    if (!this.finishPacketThenStop || this.backlogged || this.closed) return;
    if (this.pendLen > 0 && !this.peerEnded) return; // a packet is still half received
    this.finishPacketThenStop = false;
    this.stopReading = true;
    this.pend = null;
    this.pendLen = 0;
    this.maybeFinish();
  }

  /** The module (or an error, an idle timeout) closes: nothing more is answered, held packets included. */
  override close(): void {
    this.finishPacketThenStop = false;
    super.close();
  }

  /** Finishing waits while held or half-received packets may still be answered (see finishPacketThenStop). */
  override maybeFinish(): void {
    if (this.finishPacketThenStop) return;
    super.maybeFinish();
  }

  /** The whole packets a backlog left in `pend` (see StreamConnection#backlogged). */
  protected override resumeBacklog(): void {
    this.pump?.(this);
  }

  // ---- pool mode ----

  /** Sends a packet to the handler thread; its reply takes its place in line now (like an async reply). */
  poolPacket(packet: Uint8Array): void {
    const seq = (this.poolSeq = (this.poolSeq + 1) | 0);
    const slot: Slot = { state: PENDING, value: undefined };
    this.slots.push(slot);
    (this.pooled ??= new Map()).set(seq, slot);
    if (++this.inflight >= MAX_INFLIGHT) this.pauseFor(PAUSE_INFLIGHT);
    this.link!.send(K_PACKET, this.poolNo, seq, 0, packet, 0, packet.length);
  }

  poolRecord(kind: number, seq: number, flags: number, bytes: Uint8Array, off: number, len: number): void {
    if (kind === K_REJECT) {
      this.refusedByHandler(flags);
      return;
    }
    if (kind !== K_REPLY) return;
    const slot = this.pooled?.get(seq);
    if (slot === undefined) return;
    if ((flags & R_PART) !== 0) {
      ((this.parts ??= new Map()).get(seq) ?? this.parts.set(seq, []).get(seq)!).push(bytes.slice(off, off + len));
      return;
    }
    this.pooled!.delete(seq);
    // The handler's proc called drop(): this reply and later ones are discarded, earlier ones still go out.
    if ((flags & R_DROP) !== 0) this.dropFrom(this.slots.indexOf(slot, this.slotHead));
    if ((flags & R_FAIL) !== 0) {
      this.settle(slot, FAILED, new Error(new TextDecoder().decode(bytes.subarray(off, off + len))));
      return;
    }
    let value: Uint8Array | undefined = (flags & R_EMPTY) !== 0 ? undefined : bytes.slice(off, off + len);
    const parts = this.parts?.get(seq);
    if (parts !== undefined) {
      this.parts!.delete(seq);
      if (value !== undefined) parts.push(value);
      value = Buffer.concat(parts);
    }
    this.settle(slot, READY, value);
    if ((flags & R_CLOSE) !== 0) this.close();
  }

  handlerLost(): void {
    this.because("handler_lost");
    // Nothing owed will come: close cleanly with what was already answered.
    this.slots = [];
    this.slotHead = 0;
    this.pooled = null;
    this.parts = null;
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
   * during this connection's own event, else straight to the socket. Past io.max_buffered the client is not reading:
   * it is dropped as a slow consumer rather than let it grow the server's memory.
   */
  override push(r: PushData): boolean {
    if (this.closed || this.closing) return false;
    if (r.length > 0) {
      if (this.slots.length !== 0) {
        this.waitInLine(r);
        this.heldPush += r.length;
      } else if (this.inEvent) this.io.cork.add(r);
      else this.write(r);
    }
    if (this.slots.length === 0) this.heldPush = 0;
    const total = this.queuedBytes + this.heldPush + (this.inEvent ? this.io.cork.size : 0);
    if (total > this.io.config.io.max_buffered) {
      this.slowConsumer(total);
      return false;
    }
    return total <= this.svc.highWater;
  }

  private slowConsumer(total: number): void {
    this.io.stats[S_PS_DROP_SLOW]++;
    this.because("slow_consumer");
    this.io.noisy.warn("slow consumer: output waiting past io.max_buffered; connection dropped", {
      module: this.svc.def.name, conn: this.id, remote: `${this.remoteAddress}:${this.remotePort}`, buffered: total,
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
    this.dropFrom(this.slots.length);
  }

  private dropFrom(cut: number): void {
    if (!this.dropping) this.dropCut = cut < 0 ? this.slots.length : cut;
    super.drop();
  }

  /** Routes one synchronous reply: straight to the cork unless async replies are still owed before it. */
  reply(r: Uint8Array | string): void {
    if (this.slots.length === 0) this.io.cork.add(r);
    else this.waitInLine(r);
  }

  /** A synchronous reply that is the packet itself, buf[off..off+n): corked as a range when nothing is owed before it. */
  replyRange(r: Uint8Array, buf: Uint8Array, off: number, n: number): void {
    if (this.slots.length === 0) this.io.cork.addRange(buf, off, n);
    else this.waitInLine(r);
  }

  /**
   * A sync reply queued behind a pending async one. Bytes are copied: they may be a view of the thread's input
   * buffer or of this connection's pending bytes (proc returned its packet or a part of it), which the next read
   * overwrites long before the reply ahead settles. Only this slow path pays for the copy.
   */
  private waitInLine(r: Uint8Array | string): void {
    this.slots.push({ state: READY, value: typeof r === "string" ? r : new Uint8Array(r) }); // (Buffer#slice would be a view)
  }

  /** An async reply: its place in line is reserved now, its bytes are written when it and all before it settle. */
  replyLater(p: PromiseLike<Reply>): void {
    const slot: Slot = { state: PENDING, value: undefined };
    this.slots.push(slot);
    if (++this.inflight >= MAX_INFLIGHT) this.pauseFor(PAUSE_INFLIGHT);
    p.then(
      (v) => this.settle(slot, READY, v),
      (e) => this.settle(slot, FAILED, e),
    );
  }

  protected settle(slot: Slot, state: number, value: unknown): void {
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
    if (this.closed) {
      if (this.inflight === 0) this.runCloseHook(); // onClose left it to us (busy while this flush was owed)
      return;
    }
    this.inEvent = true;
    this.drainSlots();
    this.inEvent = false;
    this.endEvent();
  }

  /** Moves settled replies at the head of the line into the cork. */
  private drainSlots(): void {
    const slots = this.slots;
    while (this.slotHead < slots.length) {
      const s = slots[this.slotHead]!;
      if (s.state === PENDING) break;
      // Owed after a drop: discarded, failures included (the connection is closing anyway).
      if (this.dropping && this.slotHead >= this.dropCut) {
        this.slotHead++;
        continue;
      }
      this.slotHead++;
      if (s.state === FAILED) {
        this.slots = [];
        this.slotHead = 0;
        this.fail("proc rejected; closing connection", s.value, S_ERR_HANDLER);
        return;
      }
      const v = s.value;
      if (v === undefined || v === null) continue;
      if (typeof v === "string" || v instanceof Uint8Array) this.io.cork.add(v);
      else {
        this.slots = [];
        this.slotHead = 0;
        this.fail("proc resolved to something that is not a Uint8Array, a string or nothing; closing connection", undefined, S_ERR_HANDLER);
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
    // Packets are counted per connection in the framing loop and added to the thread's total once per event.
    if (this.packets !== this.packetsCounted) {
      this.io.stats[S_PACKETS] += this.packets - this.packetsCounted;
      this.packetsCounted = this.packets;
    }
    this.flushCork();
    if (this.inflight < MAX_INFLIGHT / 2) this.resumeFor(PAUSE_INFLIGHT);
    if (this.closing) this.maybeFinish();
  }
}
