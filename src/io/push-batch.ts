/**
 * @module io/push-batch
 * The thread's push batch (io/push-batch-core.ts: pushes and deliveries made outside a connection's own event,
 * written once per connection at the end of the turn) with runs.
 *
 * Runs (pubsub/hub.ts): consecutive publishes of one topic to the same subscribers, in one read event or one ring
 * batch, share one range. Once a publish in a row has left every subscriber with the same single range, they all
 * point at that range, and each further publish is copied once and extends it for all of them (O(1) instead of a step
 * per subscriber, as uWebSockets' topic tree keeps one message list per topic and turn). The subscribers' byte counts
 * are brought up to date, and the range marked shared (never extended for one of them again), by settle(), which
 * every entry point of the core calls first: so outside a run nothing differs from the core.
 */
import { BATCH_MAX, CONN_MAX, PushBatchCore, R, SHARED, type Batched } from "./push-batch-core.ts";

export { CONN_MAX, MAX_RANGES, type Batched } from "./push-batch-core.ts";

/** A run's header scratch (a WebSocket header is at most 14 bytes). */
const RUN_HEAD = new Uint8Array(16);
/** What join asks a subscriber to frame, only to learn whether it frames every message alike. */
const PROBE = new Uint8Array(1);

export class PushBatch extends PushBatchCore {
  /** The run's subscribers (its range is the core's runK), its length when it was formed, and the bound on its length. */
  private readonly runMembers: Batched[] = [];
  private runStartLen = 0;
  private runCap = 0;
  /** Forming a run: the subscribers of this publish so far, all given the same fresh range (joinOk), that range. */
  private joinOk = false;
  private joinStart = -1;
  private joinStop = -1;
  private joinTurn = -1;
  private joinCap = 0;
  /** Publishes that extended a run, for all their subscribers at once (tests, statistics). */
  runExtensions = 0;

  // Formed by joinBegin, join per subscriber, joinEnd; extended by extendRun.

  /** A delivery loop that may form a run begins (the previous publish went to the same subscribers). */
  joinBegin(): void {
    if (this.runK >= 0) this.settle();
    this.joinOk = true;
    this.joinStart = this.joinStop = -1;
    this.joinTurn = this.turns;
    this.joinCap = CONN_MAX;
    this.runMembers.length = 0;
  }

  /** After `s` took this publish: it joins if its share is just this message's frame, the same as the others'. */
  join(sub: object): void {
    if (!this.joinOk) return;
    // A subscriber without a share in the batch (a UDP sender, udp-senders.ts) cannot be in a run.
    const s = sub as Partial<Batched>;
    const t = s.batchTail;
    const rg = this.ranges;
    // Framed alike later too (a subscriber that compresses its pushes says no, whatever this message was).
    if (t === undefined || t < 0 || rg[t * R + 2] !== -1 || s.batchBytes !== rg[t * R + 1]! - rg[t * R]! || s.runFrame === undefined || s.runFrame(PROBE, RUN_HEAD) < 0) {
      this.joinOk = false;
      return;
    }
    if (this.joinStart < 0) {
      this.joinStart = rg[t * R]!;
      this.joinStop = rg[t * R + 1]!;
    } else if (rg[t * R] !== this.joinStart || rg[t * R + 1] !== this.joinStop) return void (this.joinOk = false);
    const l = s.batchLimit!;
    if (l < this.joinCap) this.joinCap = l;
    this.runMembers.push(s as Batched);
  }

  /**
   * The loop ended (`complete`: it did not throw): a run is formed when every subscriber joined and their range ends
   * where the batch does.
   */
  joinEnd(complete: boolean): boolean {
    const m = this.runMembers;
    // A write-out during the loop (ranges or bytes full) flushed the ones that joined before it: no run then.
    const ok = complete && this.joinOk && m.length > 0 && this.joinStop === this.len && this.joinTurn === this.turns;
    this.joinOk = false;
    if (!ok) {
      m.length = 0;
      return false;
    }
    const k = m[0]!.batchTail;
    for (let i = 1; i < m.length; i++) m[i]!.batchTail = k; // the range each got in the loop is left unused
    this.runK = k;
    this.runStartLen = this.joinStop - this.joinStart;
    this.runCap = this.joinCap;
    return true;
  }

  /**
   * The next publish of the run: `r` framed once (as its first subscriber frames pushes) and the shared range
   * extended. False: no run, or it cannot take `r` (too long for a subscriber's bound, the batch would be full, or
   * something else went into the batch since): the run is settled and the caller delivers as usual.
   */
  extendRun(r: Uint8Array): boolean {
    const k = this.runK;
    if (k < 0) return false;
    const rg = this.ranges;
    const hn = rg[k * R + 1] === this.len ? this.runMembers[0]!.runFrame(r, RUN_HEAD) : -1;
    const need = hn + r.length;
    if (hn < 0 || r.length === 0 || this.len - rg[k * R]! + need >= this.runCap || this.len + need > BATCH_MAX) {
      this.settle();
      return false;
    }
    this.room(need);
    if (hn > 0) this.buf.set(RUN_HEAD.subarray(0, hn), this.len);
    this.buf.set(r, this.len + hn);
    this.len += need;
    rg[k * R + 1] = this.len;
    this.runExtensions++;
    return true;
  }

  /** Ends the run: each subscriber still on the shared range counts what the run added; the range stays shared. */
  settle(): void {
    const k = this.runK;
    if (k < 0) return;
    const rg = this.ranges;
    const added = rg[k * R + 1]! - rg[k * R]! - this.runStartLen;
    const m = this.runMembers;
    // One whose share was dropped meanwhile (terminated, closed) no longer points at the range: it gets nothing.
    if (added > 0) for (let i = 0; i < m.length; i++) if (m[i]!.batchTail === k) m[i]!.batchBytes += added;
    this.endRun();
  }

  /** No run from here on; its range is never again extended for one of its subscribers alone. */
  protected endRun(): void {
    this.ranges[this.runK * R + 2] = SHARED;
    this.runK = -1;
    this.runMembers.length = 0;
  }
}
