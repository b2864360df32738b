// A fixed-size log-linear latency histogram (HdrHistogram-like, ~0.8 % relative error), recorded in microseconds.
// Recording is one array increment; histograms of several threads merge by adding their bucket arrays.

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128 sub-buckets per power of two
const BUCKETS = SUB * 2 + SUB * 40; // covers every value below 2^47 µs

export interface LatencyPercentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function indexOf(us: number): number {
  const v = us < 0 ? 0 : Math.floor(us);
  if (v < SUB * 2) return v;
  if (v < 2 ** 32) {
    const shift = 31 - Math.clz32(v) - SUB_BITS;
    return SUB * shift + (v >>> shift);
  }
  const shift = Math.floor(Math.log2(v)) - SUB_BITS;
  return SUB * shift + Math.floor(v / 2 ** shift);
}

/** Middle of the values that fall into bucket `idx`. */
function valueOf(idx: number): number {
  if (idx < SUB * 2) return idx;
  const shift = Math.floor(idx / SUB) - 1;
  const low = (idx - SUB * shift) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

/** The plain-data form of a histogram. */
export interface HistogramSnapshot {
  counts: Float64Array;
  count: number;
  sum: number;
  max: number;
}

export class LatencyHistogram implements HistogramSnapshot {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  /** Rebuilds a histogram from a snapshot (e.g. one that crossed a Worker boundary). */
  static from(snapshot: HistogramSnapshot): LatencyHistogram {
    const h = new LatencyHistogram();
    h.merge(snapshot);
    return h;
  }

  record(us: number): void {
    let idx = indexOf(us);
    if (idx >= BUCKETS) idx = BUCKETS - 1;
    this.counts[idx]!++;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  merge(other: HistogramSnapshot): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at quantile q (0..1); the exact maximum for q = 1. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    if (q >= 1) return this.max;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }

  percentiles(): LatencyPercentiles {
    return {
      count: this.count,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      max: this.max,
      mean: this.count ? this.sum / this.count : 0,
    };
  }
}
