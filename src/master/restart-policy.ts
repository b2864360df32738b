/**
 * @module master/restart-policy
 * When to restart a thread or child process that died: exponential back-off (100 ms doubling to 30 s, back to the
 * start once it has lived 10 s). Nothing is ever given up on: a worker that keeps dying is restarted at most every
 * 30 s while the others serve, so one bad request (or a module that crashes now and then) cannot turn into a
 * permanent outage. More than `limit` deaths within `windowMs` is a crash loop: reported (log, degraded on /readyz),
 * not a reason to stop trying. Whether a worker can run at all is the caller's business (failed starts in a row,
 * worker-group.ts).
 */

const BACKOFF_MIN_MS = 100;
export const BACKOFF_MAX_MS = 30_000;
/** A worker that lived this long is healthy again: its next crash restarts after the shortest delay. */
const STABLE_MS = 10_000;

export interface RestartDecision {
  /** How long to wait before the next start. */
  readonly delay: number;
  /** Quick deaths in a row (1 after a worker that had lived STABLE_MS). */
  readonly inARow: number;
  /** Deaths of this worker within the window, this one included. */
  readonly deaths: number;
  /** More than `limit` deaths within the window (never with limit 0). */
  readonly crashLoop: boolean;
}

export class RestartPolicy {
  /** Per index: death times within the window, and the consecutive quick failures. */
  private readonly deaths = new Map<number, number[]>();
  private readonly inARow = new Map<number, number>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Records a death of worker `index` that had lived `livedMs`; says when to restart it. */
  died(index: number, livedMs: number, now = performance.now()): RestartDecision {
    const times = (this.deaths.get(index) ?? []).filter((t) => now - t < this.windowMs);
    times.push(now);
    this.deaths.set(index, times);
    const n = livedMs >= STABLE_MS ? 1 : (this.inARow.get(index) ?? 0) + 1;
    this.inARow.set(index, n);
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(n - 1, 20));
    return { delay, inARow: n, deaths: times.length, crashLoop: this.limit > 0 && times.length > this.limit };
  }
}
