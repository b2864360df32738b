/**
 * @module master/restart-policy
 * When to restart a thread or child process that died: exponential back-off (100 ms doubling to 30 s, back to the
 * start once it has lived 10 s), and a crash-loop limit — more than `limit` deaths within `windowMs` and it is not
 * restarted again, so a broken module does not spin the machine forever.
 */

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 30_000;
/** A worker that lived this long is healthy again: its next crash restarts after the shortest delay. */
const STABLE_MS = 10_000;

export type RestartDecision = { restart: true; delay: number; inARow: number } | { restart: false; deaths: number };

export class RestartPolicy {
  /** Per index: death times within the window, and the consecutive quick failures. */
  private readonly deaths = new Map<number, number[]>();
  private readonly inARow = new Map<number, number>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records a death of worker `index` that had lived `livedMs`; says whether and when to restart it. */
  died(index: number, livedMs: number, now = performance.now()): RestartDecision {
    const times = (this.deaths.get(index) ?? []).filter((t) => now - t < this.windowMs);
    times.push(now);
    this.deaths.set(index, times);
    if (this.limit > 0 && times.length > this.limit) return { restart: false, deaths: times.length };
    const n = livedMs >= STABLE_MS ? 1 : (this.inARow.get(index) ?? 0) + 1;
    this.inARow.set(index, n);
    return { restart: true, delay: Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (n - 1)), inARow: n };
  }
}
