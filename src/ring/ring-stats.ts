/**
 * @module ring/ring-stats
 * What a ring counts, and reading it from either thread. Two kinds, kept apart from the queue code in ring.ts:
 *   - the shared counts in the ring's header (records pushed and popped, wake-ups each side sent), read with
 *     atomic loads by `ringStats`, `ringUsedBytes`, `ringDepth`;
 *   - one thread's own counts (`RingCounters`: records polled, wake-ups, notifies made), which a ring object keeps
 *     in a small array of its own or in its owner's stats fields (`Ring#countInto`), so several rings add up there.
 */
import {
  C_NOTIFIES, C_POLLED, C_WAKEUPS, I_CONSUMER_WAKEUPS, I_HEAD, I_POPPED, I_PRODUCER_WAKEUPS, I_PUSHED, I_TAIL,
} from "./ring-layout.ts";

export interface RingStats {
  capacity: number;
  usedBytes: number;
  depth: number;
  pushed: number;
  popped: number;
  /** Times the producer had to notify a sleeping consumer. */
  consumerWakeups: number;
  /** Times the consumer had to notify a producer waiting for space. */
  producerWakeups: number;
}

/**
 * One ring object's counters: records polled at `base + C_POLLED`, wake-ups (a wait that slept and was resumed:
 * notified or timed out) at `base + C_WAKEUPS`, Atomics.notify calls made at `base + C_NOTIFIES` of `arr`.
 * The ring and its sleeps (ring-sleep.ts) add to `arr` directly, once per batch or per wake-up, never per record.
 */
export class RingCounters {
  arr: Float64Array = new Float64Array(3);
  base = 0;

  /** Counts into `arr` at `base` from now on (a thread's stats fields; several rings may share them). */
  countInto(arr: Float64Array, base: number): void {
    this.arr = arr;
    this.base = base;
  }

  read(): { polled: number; wakeups: number; notifies: number } {
    const c = this.arr;
    const b = this.base;
    return { polled: c[b + C_POLLED]!, wakeups: c[b + C_WAKEUPS]!, notifies: c[b + C_NOTIFIES]! };
  }
}

/** Bytes in use, records and padding included (`h` is the ring's header, `capacity` its data area's size). */
export function ringUsedBytes(h: Int32Array, capacity: number): number {
  // Tail first: head read later is never behind it; clamp because the two loads are not one snapshot.
  const tail = Atomics.load(h, I_TAIL);
  return Math.min(capacity, Math.max(0, (Atomics.load(h, I_HEAD) - tail) | 0));
}

/** Records pushed and not yet polled (two loads, so only a snapshot). */
export function ringDepth(h: Int32Array): number {
  const popped = Atomics.load(h, I_POPPED);
  return Math.max(0, (Atomics.load(h, I_PUSHED) - popped) | 0);
}

export function ringStats(h: Int32Array, capacity: number): RingStats {
  return {
    capacity,
    usedBytes: ringUsedBytes(h, capacity),
    depth: ringDepth(h),
    pushed: Atomics.load(h, I_PUSHED) >>> 0,
    popped: Atomics.load(h, I_POPPED) >>> 0,
    consumerWakeups: Atomics.load(h, I_CONSUMER_WAKEUPS) >>> 0,
    producerWakeups: Atomics.load(h, I_PRODUCER_WAKEUPS) >>> 0,
  };
}
