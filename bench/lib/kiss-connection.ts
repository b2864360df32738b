// One kiss-client connection: keeps `pipeline` packets in flight and verifies every echoed byte, in order,
// across split or coalesced reads. Everything per request works on preallocated buffers.

import type { Socket } from "bun";
import { KISS_SIZE, allocKissSlots, describeBytes, writeKiss } from "./kiss-packet.ts";
import type { LatencyHistogram } from "./latency-histogram.ts";

/** Slots of the per-thread counters array (a SharedArrayBuffer view when the thread is a Worker, so progress can be read live). */
export const C_REQUESTS = 0;
export const C_MISMATCHES = 1;
export const C_BYTES_SENT = 2;
export const C_BYTES_RECEIVED = 3;
export const C_ERRORS = 4;
export const C_SLOTS = 5;

export type FailureKind = "mismatch" | "connect" | "socket-error" | "early-close" | "timeout";

/** What a connection needs from the thread running it. */
export interface ConnectionHost {
  readonly counters: Float64Array;
  readonly histogram: LatencyHistogram;
  /** Set once the duration has elapsed: connections send no more and finish when their in-flight packets are back. */
  stopping: boolean;
  failed(conn: KissConnection, kind: FailureKind, message: string): void;
  finished(conn: KissConnection): void;
}

export type ConnState = "connecting" | "running" | "done" | "failed";

export class KissConnection {
  state: ConnState = "connecting";
  socket: Socket<KissConnection> | null = null;
  /** performance.now() of the last completed reply (or of the start), for the stall timeout. */
  lastProgress = 0;
  inflight = 0;
  /** Ids 1 .. nextId-1 have been queued for sending. */
  nextId = 1;
  completed = 0;

  private readonly expected: Buffer; // slot (id-1) % pipeline holds the packet for that id until it is verified
  private readonly sentAt: Float64Array;
  private readonly out: Buffer; // bytes queued for the socket: out[outStart .. outEnd)
  private outStart = 0;
  private outEnd = 0;
  /** Whether every 44-byte slot of `out` holds a whole kiss packet, so a packet can be written by its prefix only. */
  private outAligned = true;
  private sendSlot = 0;
  private verifySlot = 0;
  private verifyPos = 0;

  constructor(
    readonly index: number,
    private readonly pipeline: number,
    /** Requests this connection makes before closing; Infinity in duration mode. */
    readonly limit: number,
    private readonly host: ConnectionHost,
  ) {
    this.expected = allocKissSlots(pipeline);
    this.sentAt = new Float64Array(pipeline);
    this.out = allocKissSlots(pipeline);
  }

  opened(socket: Socket<KissConnection>): void {
    this.socket = socket;
  }

  /** Sends the first burst; called once every connection of the thread is open. */
  start(now: number): void {
    if (this.state !== "connecting" || !this.socket) return;
    this.state = "running";
    this.lastProgress = now;
    if (this.limit <= 0) return this.finish();
    this.send(Math.min(this.pipeline, this.limit), now);
  }

  onData(chunk: Uint8Array): void {
    if (this.state !== "running") return;
    const len = chunk.length;
    const counters = this.host.counters;
    counters[C_BYTES_RECEIVED]! += len;
    const expected = this.expected;
    const now = performance.now();
    let off = 0;
    let done = 0;
    while (off < len) {
      if (this.inflight === 0) {
        this.account(done);
        return this.mismatch(`${len - off} unexpected bytes after request ${this.completed}: "${describeBytes(chunk, off, Math.min(len - off, KISS_SIZE))}"`);
      }
      const base = this.verifySlot * KISS_SIZE;
      let pos = this.verifyPos;
      const n = Math.min(KISS_SIZE - pos, len - off);
      // A plain byte loop beats Buffer#compare with offsets here (≈1 ns/byte vs ≈130 ns per call).
      for (let i = 0; i < n; i++) {
        if (chunk[off + i] !== expected[base + pos + i]) {
          this.account(done);
          return this.mismatchAt(chunk, off - pos, base, this.completed + 1);
        }
      }
      off += n;
      pos += n;
      if (pos === KISS_SIZE) {
        this.verifyPos = 0;
        this.host.histogram.record((now - this.sentAt[this.verifySlot]!) * 1000);
        this.verifySlot = this.verifySlot + 1 === this.pipeline ? 0 : this.verifySlot + 1;
        this.inflight--;
        done++;
      } else {
        this.verifyPos = pos;
      }
    }
    if (done === 0) return;
    this.account(done);
    this.lastProgress = now;
    const room = this.host.stopping ? 0 : Math.min(this.pipeline - this.inflight, this.limit - (this.nextId - 1));
    if (room > 0) this.send(room, now);
    else if (this.inflight === 0) this.finish();
  }

  onDrain(): void {
    if (this.state === "running" && this.outEnd > this.outStart) this.flush();
  }

  /** The socket closed: fine after finish(), an error otherwise. */
  onClose(error?: Error): void {
    this.socket = null;
    if (this.state === "done" || this.state === "failed") return;
    const why = error ? `: ${error.message}` : "";
    this.fail("early-close", `connection ${this.index} closed early after ${this.completed} replies (${this.inflight} in flight)${why}`);
  }

  fail(kind: FailureKind, message: string): void {
    if (this.state === "done" || this.state === "failed") return;
    this.state = "failed";
    const s = this.socket;
    this.socket = null;
    this.host.failed(this, kind, message);
    s?.terminate();
  }

  private finish(): void {
    this.state = "done";
    const s = this.socket;
    this.socket = null;
    this.host.finished(this);
    s?.end();
  }

  private account(done: number): void {
    this.completed += done;
    this.host.counters[C_REQUESTS]! += done;
  }

  private mismatch(message: string): void {
    this.host.counters[C_MISMATCHES]!++;
    this.fail("mismatch", `connection ${this.index}: compare failed: ${message}`);
  }

  /** Reports the whole expected packet against what arrived for it (as far as this read goes). */
  private mismatchAt(chunk: Uint8Array, packetStart: number, base: number, id: number): void {
    const from = Math.max(0, packetStart);
    const got = describeBytes(chunk, from, Math.min(chunk.length - from, KISS_SIZE - (from - packetStart)));
    this.mismatch(`request ${id}: "${describeBytes(this.expected, base, KISS_SIZE)}" != "${packetStart < 0 ? "…" : ""}${got}"`);
  }

  private send(count: number, now: number): void {
    if (this.outStart === this.outEnd) {
      this.outStart = this.outEnd = 0;
      if (!this.outAligned) {
        this.out.fill(0x41);
        this.outAligned = true;
      }
    } else if (this.outStart > 0) {
      // Only after a short write: move the unsent rest to the front so the new packets follow it contiguously.
      if (this.outStart % KISS_SIZE !== 0) this.outAligned = false;
      this.out.copyWithin(0, this.outStart, this.outEnd);
      this.outEnd -= this.outStart;
      this.outStart = 0;
    }
    const out = this.out;
    const expected = this.expected;
    for (let k = 0; k < count; k++) {
      const id = this.nextId++;
      const slot = this.sendSlot;
      writeKiss(expected, slot * KISS_SIZE, id);
      writeKiss(out, this.outEnd, id, this.outAligned);
      this.outEnd += KISS_SIZE;
      this.sentAt[slot] = now;
      this.sendSlot = slot + 1 === this.pipeline ? 0 : slot + 1;
    }
    this.inflight += count;
    this.flush();
  }

  private flush(): void {
    const s = this.socket;
    if (!s) return;
    const len = this.outEnd - this.outStart;
    const n = s.write(this.out, this.outStart, len);
    if (n <= 0) return; // full (drain resends) or closed (onClose reports)
    this.host.counters[C_BYTES_SENT]! += n;
    this.outStart += n;
  }
}
