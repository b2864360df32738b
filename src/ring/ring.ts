/**
 * @module ring/ring
 * Single-producer/single-consumer queue of variable-length byte records over a SharedArrayBuffer, for handing
 * packets between threads without postMessage. One thread produces, one thread consumes; each thread makes its
 * own `Ring` object over the same SAB (postMessage is used once, to hand the SAB over at start).
 *
 * Usage:
 *   // thread A (producer)
 *   const ring = Ring.create(1 << 20);                   // 1 MiB data area
 *   worker.postMessage(ring.sab);
 *   if (!ring.push(packet)) await ring.pushAsync(packet); // or: await ring.pushAsync(packet)
 *   const at = ring.reserve(n);                          // zero-copy: -1 when full
 *   if (at >= 0) { ring.bytes.set(header, at); ...; ring.commit(); }
 *
 *   // thread B (consumer), never blocks its event loop
 *   const ring = Ring.attach(sab);
 *   ring.startConsumer((bytes, off, len) => handle(bytes.subarray(off, off + len)));
 *   // or by hand: for (;;) { if (ring.poll(onRecord) === 0) await ring.waitForData(); }
 *
 * Views passed to a poll handler are the ring's own memory: valid only during the call (copy to keep); a handler
 * must not call `poll` on the same ring. Nothing here blocks, and nothing is dropped: a full ring makes `reserve`
 * return -1 and `push` return false. Allocate rings once at boot and keep them referenced for the life of the
 * process (a SAB collected under a pending waitAsync hits oven-sh/bun#37282). One `Ring` object per thread and side;
 * concurrent waiters on one object are counted, waiters on two objects of the same SAB and side are not supported.
 *
 * Split by concern: the queue itself (producing, polling, waking the other side) is here, in one class so the
 * per-record paths make no extra calls; the sleeping half of the wake-up protocol, and why no wake-up is lost, in
 * ring-sleep.ts; the counters and statistics in ring-stats.ts; the consumer loop in ring-consumer.ts.
 */
import {
  C_NOTIFIES, C_POLLED, I_CONSUMER_SLEEPING, I_CONSUMER_WAKEUPS, I_HEAD, I_POPPED, I_PRODUCER_WAITING, I_PRODUCER_WAKEUPS,
  I_PUSHED, I_TAIL, RECORD_HEADER_BYTES, RING_HEADER_BYTES, WRAP_MARKER, allocateRing, normalizeCapacity, recordSize,
  validateRing,
} from "./ring-layout.ts";
import { recordTooLarge, ringError } from "./ring-errors.ts";
import { sleepOnFlag, sleepUntilData } from "./ring-sleep.ts";
import { RingCounters, ringDepth, ringStats, ringUsedBytes, type RingStats } from "./ring-stats.ts";
import { copyBytes } from "./copy-bytes.ts";
import { startRingConsumer, type ConsumerOptions, type RecordHandler, type RingConsumer } from "./ring-consumer.ts";

/** Called once per record; `bytes` is the ring's data area, the record is `bytes[off, off + len)` (ring-consumer.ts). */
export type { RecordHandler };

export type { RingStats };

const RESOLVED: Promise<void> = Promise.resolve();
const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);

export class Ring {
  /** The shared buffer; post it to the other thread and `Ring.attach` it there. */
  readonly sab: SharedArrayBuffer;
  /** The data area. Offsets from `reserve` and given to poll handlers index into this array. */
  readonly bytes: Uint8Array;
  /** Size of the data area in bytes (a power of two). */
  readonly capacity: number;
  /** Largest payload a record can have: capacity minus the record header. */
  readonly maxRecordBytes: number;

  readonly #h: Int32Array;
  readonly #d: Int32Array;
  readonly #mask: number;
  /** Release tail early inside one poll once this many bytes are consumed, so a waiting producer can go on. */
  readonly #publishEvery: number;

  // Producer-side state (only the producing thread's object uses these).
  #head: number;
  #tailSeen: number;
  #pushed: number;
  #resOff = -1;
  #resLen = 0;

  /** This object's counters, or its owner's (`countInto`): records polled, wake-ups, notifies (ring-stats.ts). */
  readonly #cnt = new RingCounters();

  /** Pending sleeps on this object (ring-sleep.ts): [consumer sleeping, producer waiting]. */
  readonly #waiters = [0, 0];

  // Consumer-side state.
  #tail: number;
  #headSeen: number;
  #popped: number;

  /** Allocates a ring whose data area is `capacityBytes` rounded up to a power of two (at least 64). */
  static create(capacityBytes: number): Ring {
    return new Ring(allocateRing(normalizeCapacity(capacityBytes)));
  }

  /** Same as `new Ring(sab)`: this thread's view of a ring made by `Ring.create` elsewhere. */
  static attach(sab: SharedArrayBuffer): Ring {
    return new Ring(sab);
  }

  constructor(sab: SharedArrayBuffer) {
    const cap = validateRing(sab);
    this.sab = sab;
    this.capacity = cap;
    this.maxRecordBytes = cap - RECORD_HEADER_BYTES;
    this.bytes = new Uint8Array(sab, RING_HEADER_BYTES, cap);
    this.#h = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.#d = new Int32Array(sab, RING_HEADER_BYTES, cap / 4);
    this.#mask = cap - 1;
    this.#publishEvery = cap >>> 2;
    this.#head = Atomics.load(this.#h, I_HEAD);
    this.#tailSeen = Atomics.load(this.#h, I_TAIL);
    this.#pushed = Atomics.load(this.#h, I_PUSHED);
    this.#tail = this.#tailSeen;
    this.#headSeen = this.#head;
    this.#popped = Atomics.load(this.#h, I_POPPED);
  }

  // ---------------------------------------------------------------- producer

  /**
   * Reserves room for a record of `len` bytes and returns the offset in `bytes` to write it at, or -1 when the ring
   * has no room now. Nothing is visible to the consumer until `commit()`. A second `reserve` without `commit`
   * replaces the first. Throws GRK_ERR_RING_RECORD_TOO_LARGE when `len > maxRecordBytes`.
   */
  reserve(len: number): number {
    if (!(len >= 0 && len <= this.maxRecordBytes && (len | 0) === len)) this.#badLength(len);
    this.#resOff = -1;
    const size = recordSize(len);
    let off = this.#head & this.#mask;
    const room = this.capacity - off;
    if (size > room) {
      // The record must be contiguous: pad to the end of the area and start at 0. The padding is published at
      // once even when the record itself does not fit yet; otherwise a record bigger than both the room at the end
      // and the offset could never fit, even in an empty ring.
      if (!this.#hasRoom(room)) return -1;
      this.#d[off >> 2] = WRAP_MARKER;
      this.#head = (this.#head + room) | 0;
      this.#publishHead();
      off = 0;
    }
    if (!this.#hasRoom(size)) return -1;
    this.#d[off >> 2] = len;
    this.#d[(off >> 2) + 1] = 0;
    this.#resOff = off;
    this.#resLen = len;
    return off + RECORD_HEADER_BYTES;
  }

  /**
   * Publishes the reserved record. `len` may shrink it (write up to the reserved size, commit what was written).
   * Wakes the consumer only when it is asleep.
   */
  commit(len?: number): void {
    const off = this.#resOff;
    if (off < 0) throw ringError("GRK_ERR_RING_NO_RESERVATION", "none", {});
    let n = this.#resLen;
    if (len !== undefined) {
      if (!(len >= 0 && len <= n && (len | 0) === len)) {
        throw ringError("GRK_ERR_RING_NO_RESERVATION", "outside", { len, reserved: n });
      }
      n = len;
      this.#d[off >> 2] = n;
    }
    this.#resOff = -1;
    this.#head = (this.#head + recordSize(n)) | 0;
    this.#pushed = (this.#pushed + 1) | 0;
    Atomics.store(this.#h, I_PUSHED, this.#pushed);
    if (this.deferPublish) this.#unpublished = true;
    else this.#publishHead();
  }

  /**
   * With `deferPublish`, commit() leaves records invisible until flush(), so a burst of records costs the consumer
   * one wake-up instead of one per record. The owner must call flush() soon (pool/ring-link.ts: once per event-loop
   * turn).
   */
  deferPublish = false;
  #unpublished = false;

  /** Publishes every committed record (deferPublish mode); wakes the consumer if it sleeps. */
  flush(): void {
    if (this.#unpublished) this.#publishHead();
  }

  /** Copies `src[off, off + len)` into the ring as one record. False when full (nothing written, nothing lost). */
  push(src: Uint8Array, off = 0, len: number = src.length - off): boolean {
    if (!(off >= 0 && len >= 0 && off + len <= src.length && (off | 0) === off && (len | 0) === len)) {
      throw ringError("GRK_ERR_RING_BAD_RANGE", "push", { off, len, size: src.length });
    }
    const at = this.reserve(len);
    if (at < 0) return false;
    copyBytes(this.bytes, at, src, off, len);
    this.commit();
    return true;
  }

  /** `push`, waiting (without blocking) for space while the ring is full. Resolves once the record is queued. */
  pushAsync(src: Uint8Array, off = 0, len: number = src.length - off): Promise<void> {
    return this.push(src, off, len) ? RESOLVED : this.#pushSlow(src, off, len);
  }

  async #pushSlow(src: Uint8Array, off: number, len: number): Promise<void> {
    while (!this.push(src, off, len)) await this.waitForSpace(len);
  }

  /** True when `reserve(len)` would make progress now (write the record, or the wrap padding before it). */
  canReserve(len: number): boolean {
    return this.#hasRoom(this.#roomNeeded(len));
  }

  /**
   * Resolves true when the next `reserve(len)` can make progress, or false after `timeoutMs` or when `signal`
   * aborts. Never blocks. The consumer notifies only while this flag is set, so a producer that is not waiting
   * costs it nothing.
   */
  waitForSpace(len = 0, timeoutMs = Infinity, signal?: AbortSignal): Promise<boolean> {
    if (this.canReserve(len)) return RESOLVED_TRUE;
    return sleepOnFlag(this.#h, I_PRODUCER_WAITING, this.#waiters, this.#cnt, () => this.canReserve(len), timeoutMs, signal);
  }

  /** Bytes `reserve(len)` needs free to make progress from the current head. */
  #roomNeeded(len: number): number {
    if (!(len >= 0 && len <= this.maxRecordBytes)) this.#badLength(len);
    const size = recordSize(len);
    const room = this.capacity - (this.#head & this.#mask);
    return size <= room ? size : room;
  }

  #hasRoom(n: number): boolean {
    if (this.capacity - ((this.#head - this.#tailSeen) | 0) >= n) return true;
    // Only touch the consumer's cache line when the cached tail says "full".
    this.#tailSeen = Atomics.load(this.#h, I_TAIL);
    return this.capacity - ((this.#head - this.#tailSeen) | 0) >= n;
  }

  #publishHead(): void {
    this.#unpublished = false;
    const h = this.#h;
    Atomics.store(h, I_HEAD, this.#head);
    if (Atomics.load(h, I_CONSUMER_SLEEPING) !== 0) {
      Atomics.store(h, I_CONSUMER_SLEEPING, 0);
      Atomics.add(h, I_CONSUMER_WAKEUPS, 1);
      this.#cnt.arr[this.#cnt.base + C_NOTIFIES]!++;
      Atomics.notify(h, I_CONSUMER_SLEEPING);
    }
  }

  #badLength(len: number): never {
    if (Number.isInteger(len) && len > this.maxRecordBytes) throw recordTooLarge(len, this.maxRecordBytes, this.capacity);
    throw ringError("GRK_ERR_RING_BAD_RANGE", "length", { len });
  }

  // ---------------------------------------------------------------- consumer

  /**
   * Hands up to `max` available records, in order, to `handler` and releases their space; returns how many.
   * The tail is published once at the end (and every quarter ring within a long batch, so a waiting producer
   * can refill meanwhile). If `handler` throws, that record counts as consumed, the space of the records before
   * it is released and the error propagates.
   */
  poll(handler: RecordHandler, max = Infinity): number {
    const d = this.#d;
    const bytes = this.bytes;
    const mask = this.#mask;
    const cap = this.capacity;
    const every = this.#publishEvery;
    let tail = this.#tail;
    let head = this.#headSeen;
    let published = tail;
    let n = 0;
    let nPublished = 0;
    try {
      while (n < max) {
        if (tail === head) {
          head = this.#headSeen = Atomics.load(this.#h, I_HEAD);
          if (tail === head) break;
        }
        const off = tail & mask;
        const len = d[off >> 2]!;
        if (len === WRAP_MARKER) {
          tail = (tail + cap - off) | 0;
          continue;
        }
        tail = (tail + recordSize(len)) | 0;
        n++;
        handler(bytes, off + RECORD_HEADER_BYTES, len);
        if (((tail - published) | 0) >= every) {
          this.#publishTail(tail, n - nPublished);
          published = tail;
          nPublished = n;
        }
      }
    } finally {
      if (tail !== published) this.#publishTail(tail, n - nPublished);
      else this.#tail = tail;
      const c = this.#cnt;
      c.arr[c.base + C_POLLED]! += n;
    }
    return n;
  }

  /** Consumer side: true when nothing is waiting to be polled. */
  isEmpty(): boolean {
    if (this.#tail !== this.#headSeen) return false;
    this.#headSeen = Atomics.load(this.#h, I_HEAD);
    return this.#tail === this.#headSeen;
  }

  /**
   * Resolves true when a record (or wrap padding) is available to `poll`, or false after `timeoutMs` or when
   * `signal` aborts. Never blocks; the producer notifies only while this waiter has its flag set.
   */
  waitForData(timeoutMs = Infinity, signal?: AbortSignal): Promise<boolean> {
    if (!this.isEmpty()) return RESOLVED_TRUE;
    return sleepOnFlag(this.#h, I_CONSUMER_SLEEPING, this.#waiters, this.#cnt, () => !this.isEmpty(), timeoutMs, signal);
  }

  /**
   * The consumer loop's sleep (ring-consumer.ts; ring-sleep.ts): resolves when the ring has data or on
   * `wakeConsumer()`, at once when a record is already there.
   */
  sleepForData(): Promise<void> {
    return sleepUntilData(this.#h, this.#waiters, this.#cnt, this);
  }

  /** Releases this ring's sleeping consumers (a spurious wake-up: they re-check); how a consumer loop is stopped. */
  wakeConsumer(): void {
    const h = this.#h;
    Atomics.store(h, I_CONSUMER_SLEEPING, 0);
    this.#cnt.arr[this.#cnt.base + C_NOTIFIES]!++;
    Atomics.notify(h, I_CONSUMER_SLEEPING);
  }

  /**
   * Runs a consumer loop on this thread: polls in batches, yields to the event loop between turns, and sleeps with
   * `Atomics.waitAsync` when the ring is empty. See `ConsumerOptions`.
   */
  startConsumer(handler: RecordHandler, options?: ConsumerOptions): RingConsumer {
    return startRingConsumer(this, handler, options);
  }

  #publishTail(tail: number, records: number): void {
    const h = this.#h;
    this.#tail = tail;
    this.#popped = (this.#popped + records) | 0;
    Atomics.store(h, I_POPPED, this.#popped);
    Atomics.store(h, I_TAIL, tail);
    if (Atomics.load(h, I_PRODUCER_WAITING) !== 0) {
      Atomics.store(h, I_PRODUCER_WAITING, 0);
      Atomics.add(h, I_PRODUCER_WAKEUPS, 1);
      this.#cnt.arr[this.#cnt.base + C_NOTIFIES]!++;
      Atomics.notify(h, I_PRODUCER_WAITING);
    }
  }

  // ---------------------------------------------------------------- statistics (either thread)

  /**
   * Counts what this thread's object does into `arr` (a thread's stats fields) from `base` on: records polled,
   * wake-ups, notifies (ring-stats.ts, RingCounters). Several rings may count into the same fields (they add up).
   */
  countInto(arr: Float64Array, base: number): void {
    this.#cnt.countInto(arr, base);
  }

  /** This object's counts (those of every ring counting into the same fields, after `countInto`). */
  counts(): { polled: number; wakeups: number; notifies: number } {
    return this.#cnt.read();
  }

  /** Bytes in use, records and padding included. */
  usedBytes(): number {
    return ringUsedBytes(this.#h, this.capacity);
  }

  /** Records pushed and not yet polled (two loads, so only a snapshot). */
  depth(): number {
    return ringDepth(this.#h);
  }

  stats(): RingStats {
    return ringStats(this.#h, this.capacity);
  }
}
