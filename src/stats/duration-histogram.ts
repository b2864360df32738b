/**
 * @module stats/duration-histogram
 * The HTTP request-duration histogram's layout in a thread's stats slot (stats-slot.ts): per HTTP listener and status
 * class one series of BUCKETS counts (one per upper bound in DURATION_BOUNDS_S, then +Inf) and the sum of durations
 * in milliseconds. A bucket holds the observations that fell into it alone, not the cumulative count Prometheus
 * wants: recording is then one comparison scan over 14 bounds and two plain `+=` on shared memory, with no
 * allocation; the reader makes the counts cumulative (status/metrics-text.ts). One writer per slot, as for the
 * fixed fields, so no Atomics are needed.
 */

/** Upper bounds in seconds (Prometheus `le`): 0.5 ms to 10 s, about ×2–2.5 apart. */
export const DURATION_BOUNDS_S: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BOUNDS_MS = new Float64Array(DURATION_BOUNDS_S.map((s) => s * 1000));
const N_BOUNDS = BOUNDS_MS.length;
/** Counts per series: one per bound, and the +Inf bucket. */
export const BUCKETS = N_BOUNDS + 1;
/** f64s per series: the buckets, then the sum (ms). */
export const SERIES_F64 = BUCKETS + 1;
/** Status classes 1xx..5xx. */
export const CLASSES = 5;
/** f64s per listener. */
export const LISTENER_F64 = CLASSES * SERIES_F64;
/** HTTP listeners per thread whose durations are kept (further ones are not recorded, see stats-slot.ts). */
export const MAX_LISTENERS = 16;
export const CLASS_NAMES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/**
 * Records one response: `base` is the listener's offset (StatsSlot#durationListener; negative: not recorded), `ms` the
 * time from the read that began the request to the end of its response.
 */
export function observeDuration(h: Float64Array, base: number, status: number, ms: number): void {
  const c = ((status / 100) | 0) - 1;
  if (base < 0 || c < 0 || c >= CLASSES) return;
  const s = base + c * SERIES_F64;
  let b = 0;
  while (b < N_BOUNDS && ms > BOUNDS_MS[b]!) b++;
  h[s + b]++;
  h[s + BUCKETS] += ms;
}
