/**
 * @module io/push-batch-core
 * Pushes and topic deliveries made outside the receiving connection's own event (from another connection's proc, a
 * timer, a ring from another thread) are not written one by one: a publish to 1000 subscribers was 1000 write calls
 * per message (bench/pubsub-fanout.ts under strace: one sendto per delivery). They are appended to the thread's
 * batch, and every connection that got some is written once at the end of the event-loop turn (one setImmediate per
 * turn, so publishes from several read events and ring batches of one turn share it), so a burst of publishes costs
 * one write per subscriber, as uWebSockets' per-socket queues drained once per loop iteration do.
 *
 * Nothing is copied per subscriber: during one publish's delivery loop (fanout(true) .. fanout(false), where the
 * message cannot change) a message is copied into the batch once per framing (raw, or behind a WebSocket header),
 * and a connection's share is a list of ranges of it. Outside such a loop every push is copied (the caller may reuse
 * its buffer as soon as send returns, as it could when the push was written at once). A subscriber that got a run
 * of consecutive messages has one range, written from the batch directly (the cork's range idea, io/cork.ts); only
 * one whose messages interleave with others' has several, gathered into a scratch buffer at its write.
 *
 * Bounds: a connection's share is written as soon as it reaches min(io.high_water, CONN_MAX), a message of that size
 * or more is not batched at all, and the batch is written out whole before it would pass BATCH_MAX bytes or
 * MAX_RANGES ranges (a message shared by many subscribers costs no bytes but a range each, when topics interleave).
 * Order: a connection writes its share before anything else it writes (io/stream-output.ts), so nothing overtakes it.
 *
 * This is the batch without runs; io/push-batch.ts adds them (every entry point here settles a run first).
 */

/** What a batched connection keeps (io/stream-output.ts): its last range, its pending bytes, and its write. */
export interface Batched {
  /** Index of its last range in the batch (ranges link back to the previous one); -1 = nothing pending. */
  batchTail: number;
  batchBytes: number;
  /** Writes its share (buf[off..off+len), valid only during the call). */
  writeBatched(buf: Uint8Array, off: number, len: number): void;
  /** Its share is written once it reaches this (io.high_water of its listener). */
  readonly batchLimit: number;
  /**
   * Frames message `r` as this connection's pushes are framed: writes the header into `h` and returns its length (0:
   * the bytes as they are), or -1 when a push of `r` would not be header plus bytes (compressed, say): no run then.
   */
  runFrame(r: Uint8Array, h: Uint8Array): number;
}

/** A range's "previous" when it is shared by a run's subscribers: no previous, and never extended for one of them. */
export const SHARED = -2;

/** A connection's share is written once it reaches this (or its high water, if lower). */
export const CONN_MAX = 64 * 1024;
/** The batch is written out before it would grow past this. */
export const BATCH_MAX = 1024 * 1024;
/** ... or past this many ranges (12 bytes each). */
export const MAX_RANGES = 64 * 1024;
const INITIAL = 64 * 1024;
/** Ranges: start, end, previous range (-1 = first). */
export const R = 3;

export abstract class PushBatchCore {
  protected buf: Buffer = Buffer.allocUnsafeSlow(INITIAL);
  protected len = 0;
  protected ranges = new Int32Array(3 * 1024);
  private nRanges = 0;
  private readonly dirty: Batched[] = [];
  private scheduled = false;
  private flushing = false;
  private scratch: Buffer | null = null;
  /** Inside a publish's delivery loop: the same message object is the same bytes (see fanout). */
  private fanning = false;
  /** The last message copied in as it is, and where it is: the next subscriber of the same publish reuses it. */
  private rawKey: Uint8Array | string | null = null;
  private rawStart = 0;
  private rawEnd = 0;
  /** The same for the last message copied in behind a header (a WebSocket frame), with its opcode. */
  private framedKey: Uint8Array | string | null = null;
  private framedOp = -1;
  private framedStart = 0;
  private framedEnd = 0;
  /** Connections written because their share or the batch was full before the end of the turn (tests, statistics). */
  earlyWrites = 0;
  /** End-of-turn write-outs so far: a run never outlives one (the hub forms one only within a turn). */
  turns = 0;
  /**
   * Run at the end of the turn before any share is written (pubsub/hub.ts: publishes the thread's ring records to
   * the other I/O threads), so a peer thread delivers its share of this turn's publishes while this one writes its
   * own, instead of after every local subscriber was written.
   */
  beforeWrite: (() => void) | null = null;

  /** The run's shared range (io/push-batch.ts), -1 when there is none: every entry point settles a run first. */
  protected runK = -1;

  /** `maxRanges`: MAX_RANGES, smaller only in tests (a write-out in the middle of a delivery loop). */
  constructor(private readonly maxRanges = MAX_RANGES) {}

  /** Ends a run, bringing its subscribers' byte counts up to date (io/push-batch.ts). */
  abstract settle(): void;
  /** Ends a run without that (the end of the turn writes every share whole). */
  protected abstract endRun(): void;

  /** The end of the turn: every connection with a share writes it, once. */
  private readonly flushAll = (): void => {
    // Each share is written whole now: a run's subscribers need no count brought up to date (flushOne takes a lone
    // range's length from the range), only the range kept from being extended for one of them by a close hook's push.
    if (this.runK >= 0) this.endRun();
    this.flushing = true;
    this.beforeWrite?.();
    const d = this.dirty;
    let failure: unknown = null;
    // A write may close a connection whose close hook pushes again: those join the list and are written here too.
    // A throw (a bug) must not leave the others' shares pointing into a batch about to be reused: all are written,
    // then it is rethrown.
    for (let i = 0; i < d.length; i++) {
      const s = d[i]!;
      if (s.batchTail < 0) continue;
      try {
        this.flushOne(s);
      } catch (err) {
        failure ??= err;
      }
    }
    d.length = 0;
    this.len = 0;
    this.nRanges = 0;
    this.rawKey = this.framedKey = null;
    this.scheduled = false;
    this.flushing = false;
    this.turns++;
    if (failure !== null) throw failure;
  };

  /**
   * A publish's delivery loop begins (on) or ends: within it, a message object met again is the message copied in
   * last (no copy per subscriber); outside, nothing is reused.
   */
  fanout(on: boolean): void {
    this.fanning = on;
    this.rawKey = this.framedKey = null;
    this.loop = on ? ++this.loops : 0;
  }

  /**
   * The delivery loop running now (a number no other loop of this thread had), 0 outside one: what a frame made
   * for a message may be reused under (ws/ws-frame-cache.ts), since only within one loop is the same message
   * object the same bytes (a module may refill its buffer between two publishes, a per-packet view is reused).
   */
  loop = 0;
  private loops = 0;

  /**
   * Message `r` for `s`, copied into the batch unless it is the one the previous call of this delivery loop copied. False: not taken (too
   * large, or the batch is being written out): the caller writes it directly, after its share.
   */
  add(s: Batched, r: Uint8Array | string, limit: number): boolean {
    if (this.runK >= 0) this.settle();
    if (this.nRanges >= this.maxRanges && !this.writeOut()) return false;
    let start = this.rawStart;
    let end = this.rawEnd;
    if (r !== this.rawKey) {
      const max = limit < CONN_MAX ? limit : CONN_MAX;
      if (r.length >= max || !this.room(typeof r === "string" ? r.length * 3 : r.length)) return false;
      start = this.len;
      end = this.put(r);
      if (this.fanning) this.rawKey = r;
      this.rawStart = start;
      this.rawEnd = end;
    }
    this.append(s, start, end, limit);
    return true;
  }

  /**
   * Message `r` of opcode `op` for `s` when it is the frame this delivery loop copied last (the second and later
   * WebSocket subscribers of one publish): no header is made for it. False: not that one (the caller frames it).
   */
  addSameFramed(s: Batched, r: Uint8Array | string, op: number, limit: number): boolean {
    if (this.runK >= 0) this.settle();
    if (r !== this.framedKey || op !== this.framedOp || this.nRanges >= this.maxRanges) return false;
    this.append(s, this.framedStart, this.framedEnd, limit);
    return true;
  }

  /** Message `r` of opcode `op` behind the header h[0..hn) made for it (a WebSocket frame); as `add`. */
  addFramed(s: Batched, r: Uint8Array | string, op: number, h: Uint8Array, hn: number, limit: number): boolean {
    if (this.runK >= 0) this.settle();
    if (this.nRanges >= this.maxRanges && !this.writeOut()) return false;
    let start = this.framedStart;
    let end = this.framedEnd;
    if (r !== this.framedKey || op !== this.framedOp) {
      const max = limit < CONN_MAX ? limit : CONN_MAX;
      if (r.length + hn >= max || !this.room(hn + (typeof r === "string" ? r.length * 3 : r.length))) return false;
      start = this.len;
      this.buf.set(h.subarray(0, hn), start);
      this.len = start + hn;
      end = this.put(r);
      // An empty message is never a key: a push sends nothing for one (tcp-connection.ts), so none may match it.
      this.framedKey = this.fanning && r.length !== 0 ? r : null;
      this.framedOp = op;
      this.framedStart = start;
      this.framedEnd = end;
    }
    this.append(s, start, end, limit);
    return true;
  }

  /** Writes `s`'s share now (it writes something else, or closes): its ranges in order, in one write. */
  flushOne(s: Batched): void {
    if (this.runK >= 0) this.settle();
    const tail = s.batchTail;
    s.batchTail = -1;
    s.batchBytes = 0;
    if (tail < 0) return;
    const rg = this.ranges;
    let i = tail * R;
    if (rg[i + 2]! < 0) {
      // One range: its length is the share (a run's subscribers' counts lag the run until it is settled).
      const len = rg[i + 1]! - rg[i]!;
      if (len > 0) s.writeBatched(this.buf, rg[i]!, len);
      return;
    }
    // Several ranges: gathered back to front (they link backwards) into the scratch buffer. Their sum, not the count:
    // a run ended by the end-of-turn write is not settled, so a push made during that write (a close hook's) adds
    // a range behind the run's to a count that lacks what the run added.
    let n = 0;
    for (let j = i; ; ) {
      n += rg[j + 1]! - rg[j]!;
      const prev = rg[j + 2]!;
      if (prev < 0) break;
      j = prev * R;
    }
    if (n === 0) return;
    let sc = this.scratch;
    if (sc === null || sc.length < n) sc = this.scratch = Buffer.allocUnsafeSlow(Math.max(INITIAL, n));
    let at = n;
    for (;;) {
      const a = rg[i]!;
      const b = rg[i + 1]!;
      at -= b - a;
      sc.set(this.buf.subarray(a, b), at);
      const prev = rg[i + 2]!;
      if (prev < 0) break;
      i = prev * R;
    }
    s.writeBatched(sc, 0, n);
  }

  /** Bytes in the batch now (tests). */
  get size(): number {
    return this.len;
  }

  /** Ranges in the batch now (tests). */
  get rangeCount(): number {
    return this.nRanges;
  }

  private append(s: Batched, start: number, end: number, limit: number): void {
    const t = s.batchTail;
    const rg = this.ranges;
    if (t >= 0 && rg[t * R + 1] === start && rg[t * R + 2] !== SHARED) rg[t * R + 1] = end;
    else {
      const k = this.nRanges++;
      if ((k + 1) * R > rg.length) this.growRanges();
      const r = this.ranges;
      r[k * R] = start;
      r[k * R + 1] = end;
      r[k * R + 2] = t;
      s.batchTail = k;
      if (t < 0) {
        this.dirty.push(s);
        if (!this.scheduled) {
          this.scheduled = true;
          setImmediate(this.flushAll);
        }
      }
    }
    const n = (s.batchBytes += end - start);
    if (n >= limit || n >= CONN_MAX) {
      this.earlyWrites++;
      this.flushOne(s);
    }
  }

  /** The batch is full: written out whole now; false while it is being written (the caller writes directly). */
  private writeOut(): boolean {
    if (this.flushing) return false;
    this.flushAll();
    this.earlyWrites++;
    return true;
  }

  /** True when `n` more bytes fit (writing the batch out first when they would pass BATCH_MAX). */
  protected room(n: number): boolean {
    if (this.len + n > BATCH_MAX && !this.writeOut()) return false;
    if (this.len + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + n) size *= 2;
      const next = Buffer.allocUnsafeSlow(size);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    return true;
  }

  private put(r: Uint8Array | string): number {
    if (typeof r === "string") this.len += this.buf.write(r, this.len, "utf8");
    else {
      this.buf.set(r, this.len);
      this.len += r.length;
    }
    return this.len;
  }

  private growRanges(): void {
    const next = new Int32Array(this.ranges.length * 2);
    next.set(this.ranges);
    this.ranges = next;
  }
}
