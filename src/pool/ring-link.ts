/**
 * @module pool/ring-link
 * One side of a ring pair between an I/O thread and a handler thread: sends records on the outgoing ring and runs
 * a consumer on the incoming one. A send never blocks and never drops: when the ring is full the record (copied)
 * waits in a backlog, in order, until `waitForSpace` says the other side has made room; the owner is told through
 * `onBlocked`/`onUnblocked` so it can pause the sockets that feed this ring.
 */
import type { RingPair } from "../io/messages.ts";
import { RecordRing } from "../ring/record-ring.ts";
import { RECORD_HEADER_BYTES, normalizeCapacity } from "../ring/ring-layout.ts";
import { recordTooLarge } from "../ring/ring-errors.ts";
import { Ring } from "../ring/ring.ts";
import type { RingConsumer } from "../ring/ring-consumer.ts";
import { S_POOL_RECORDS } from "../stats/stat-fields.ts";
import { FIELDS, F_CONN, F_FLAGS, F_KIND, F_SEQ, Writer } from "./pool-protocol.ts";

/** Called per incoming record; `bytes[off..off+len)` is the payload, valid only during the call. */
export type PoolRecordHandler = (kind: number, conn: number, seq: number, flags: number, bytes: Uint8Array, off: number, len: number) => void;

interface Parked {
  kind: number;
  conn: number;
  seq: number;
  flags: number;
  payload: Uint8Array;
}

const FIELD_BYTES = FIELDS * 4;

/**
 * Turns an I/O thread's reply consumer stays awake after a turn that handled replies (ring/ring-consumer.ts
 * graceTurns). Replies to the requests it sent in that turn often arrive within two turns; caught awake, they cost no
 * Atomics.notify on the handler thread and no wake-up here. Measured with the pool_* counters (8 connections, kiss
 * echo, one handler): I/O wake-ups per request 0.17-0.19 -> 0.09, eventfd writes 0.34-0.38 -> 0.26, epoll waits
 * unchanged; four turns cut wake-ups further but add epoll waits (0.44 -> 0.62). A handler thread gains nothing from
 * it (its next requests need a client round trip), so it sleeps at once.
 */
const IO_GRACE_TURNS = 2;

/** The largest record payload a link over rings of `ringBytes` (worker.ring_bytes) can carry. */
export function maxPoolPayload(ringBytes: number): number {
  return normalizeCapacity(ringBytes) - RECORD_HEADER_BYTES - FIELD_BYTES;
}

export class RingLink {
  private readonly tx: RecordRing;
  private readonly rxRing: Ring;
  private readonly rx32: Int32Array;
  private readonly f = new Int32Array(FIELDS);
  private readonly w: Writer;
  private backlog: Parked[] = [];
  private consumer: RingConsumer | null = null;
  private closed = false;
  private flushQueued = false;
  private readonly flushNow = (): void => {
    this.flushQueued = false;
    this.tx.ring.flush();
  };
  onBlocked: () => void = () => {};
  onUnblocked: () => void = () => {};

  constructor(
    pair: RingPair,
    /** "io": we send on req and read res; "handler": the reverse. */
    private readonly side: "io" | "handler",
    private readonly onRecord: PoolRecordHandler,
    private readonly onError: (err: unknown) => void,
    /** This thread's stats fields: records read, wake-ups and notifies of both rings are counted there. */
    counters?: Float64Array,
  ) {
    const txSab = side === "io" ? pair.req : pair.res;
    const rxSab = side === "io" ? pair.res : pair.req;
    this.tx = new RecordRing(Ring.attach(txSab), FIELDS);
    this.rxRing = Ring.attach(rxSab);
    this.rx32 = new Int32Array(this.rxRing.bytes.buffer, this.rxRing.bytes.byteOffset, this.rxRing.capacity >>> 2);
    this.w = new Writer(this.tx.ring.bytes, 0);
    if (counters !== undefined) {
      this.tx.ring.countInto(counters, S_POOL_RECORDS);
      this.rxRing.countInto(counters, S_POOL_RECORDS);
    }
    // Records go out once per event-loop turn: every packet read in one turn wakes the other thread at most once.
    this.tx.ring.deferPublish = true;
  }

  /** Publishes what this turn committed, after the turn's I/O callbacks have run. */
  private committed(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(this.flushNow);
  }

  /** Largest payload one record can carry. */
  get maxPayload(): number {
    return this.tx.maxPayloadBytes;
  }

  get blocked(): boolean {
    return this.backlog.length > 0;
  }

  /** Records waiting in the outgoing ring (for statistics). */
  depth(): number {
    return this.tx.ring.depth();
  }

  /** Records waiting to go out: in the outgoing ring plus those parked behind it while it is full (statistics). */
  outgoing(): number {
    return this.tx.ring.depth() + this.backlog.length;
  }

  /** Records the other side has sent and this side has not read yet (statistics). */
  incoming(): number {
    return this.rxRing.depth();
  }

  start(): void {
    const rx32 = this.rx32;
    const onRecord = this.onRecord;
    this.consumer = this.rxRing.startConsumer(
      (bytes, off, len) => {
        const b = off >> 2;
        onRecord(rx32[b + F_KIND]!, rx32[b + F_CONN]!, rx32[b + F_SEQ]!, rx32[b + F_FLAGS]!, bytes, off + FIELD_BYTES, len - FIELD_BYTES);
      },
      { spin: 32, graceTurns: this.side === "io" ? IO_GRACE_TURNS : 0, onError: this.onError },
    );
  }

  async stop(): Promise<void> {
    this.tx.ring.flush(); // nothing committed may be left unpublished by a thread that is about to stop
    this.closed = true;
    await this.consumer?.stop();
  }

  /** Sends a record whose payload is `src[off..off+len)` (or empty). Returns false when it had to wait in the backlog. */
  send(kind: number, conn: number, seq: number, flags: number, src?: Uint8Array, off = 0, len = 0): boolean {
    this.fits(len);
    if (this.backlog.length === 0) {
      const at = this.tx.reserve(this.fields(kind, conn, seq, flags), len);
      if (at >= 0) {
        if (len > 0) this.tx.ring.bytes.set(off === 0 && len === src!.length ? src! : src!.subarray(off, off + len), at);
        this.tx.commit();
        this.committed();
        return true;
      }
    }
    // A copy: `src` is often a Buffer (a packet in the connection's pending bytes or the thread's input buffer), whose
    // slice() is only a view, and that memory is reused long before a parked record goes out.
    this.park(kind, conn, seq, flags, len === 0 ? EMPTY : copyOf(src!, off, len));
    return false;
  }

  /**
   * Sends a record whose payload (at most `size` bytes) is written by `write(w, arg)` straight into the ring. On the
   * data path pass a module-level `write` and its input as `arg`: no closure per record.
   */
  sendEncoded<T>(kind: number, conn: number, seq: number, flags: number, size: number, write: (w: Writer, arg: T) => void, arg?: T): boolean {
    this.fits(size);
    if (this.backlog.length === 0) {
      const at = this.tx.reserve(this.fields(kind, conn, seq, flags), size);
      if (at >= 0) {
        const w = this.w;
        w.off = at;
        write(w, arg as T);
        this.tx.commit(w.off - at);
        this.committed();
        return true;
      }
    }
    const scratch = new Uint8Array(size);
    const w = new Writer(scratch, 0);
    write(w, arg as T);
    this.park(kind, conn, seq, flags, scratch.subarray(0, w.off));
    return false;
  }

  /**
   * A record that can never fit is refused here, synchronously, to the caller (whose connection fails cleanly): parked
   * behind a full ring it would only fail later, inside the backlog drain, and jam every record behind it.
   */
  private fits(len: number): void {
    if (len > this.tx.maxPayloadBytes) throw recordTooLarge(len, this.tx.maxPayloadBytes, this.tx.ring.capacity);
  }

  /** The record's four fields in the reused scratch array. */
  private fields(kind: number, conn: number, seq: number, flags: number): Int32Array {
    const f = this.f;
    f[F_KIND] = kind;
    f[F_CONN] = conn;
    f[F_SEQ] = seq;
    f[F_FLAGS] = flags;
    return f;
  }

  private park(kind: number, conn: number, seq: number, flags: number, payload: Uint8Array): void {
    const first = this.backlog.length === 0;
    this.backlog.push({ kind, conn, seq, flags, payload });
    if (first) {
      this.onBlocked();
      void this.drainBacklog();
    }
  }

  private async drainBacklog(): Promise<void> {
    while (this.backlog.length > 0 && !this.closed) {
      const p = this.backlog[0]!;
      if (this.tx.push(this.fields(p.kind, p.conn, p.seq, p.flags), p.payload)) {
        this.backlog.shift();
        this.committed();
        continue;
      }
      await this.tx.ring.waitForSpace(this.tx.fieldBytes + p.payload.length);
    }
    if (!this.closed) this.onUnblocked();
  }
}

const EMPTY = new Uint8Array(0);

function copyOf(src: Uint8Array, off: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  b.set(src.subarray(off, off + len), 0);
  return b;
}
