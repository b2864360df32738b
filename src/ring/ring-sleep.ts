/**
 * @module ring/ring-sleep
 * The sleeping half of a ring's wake-up protocol: how a consumer waits for data and a producer for space without
 * blocking its event loop (the waking half, clearing a flag and notifying, is in ring.ts where records are
 * published). Kept apart from the queue code because it runs once per sleep, never per record.
 *
 * Wake-up protocol (why no wake-up is lost). All Atomics operations are sequentially consistent, so they fall in
 * one total order. The consumer, before sleeping, stores SLEEPING=1, then loads head; the producer, after
 * publishing, stores head, then loads SLEEPING. Either the consumer's load sees the new head (it does not sleep) or
 * the producer's load comes after the consumer's store and sees 1; then the producer stores SLEEPING=0 and
 * notifies. `Atomics.waitAsync(SLEEPING, 1)` checks the value and registers the waiter atomically (under the
 * waiter-list lock that notify also takes), so the notify either finds the waiter or the wait returns "not-equal".
 * The producer-waiting-for-space side is the same argument with tail and PRODUCER_WAITING.
 * A stale clear/notify from an earlier round can only cause a spurious wake-up; every waiter re-checks.
 *
 * `waiters` is the ring object's count of pending sleeps per flag ([consumer sleeping, producer waiting]): the last
 * one out clears the flag, so concurrent waiters on one object work.
 */
import { C_NOTIFIES, C_WAKEUPS, I_CONSUMER_SLEEPING } from "./ring-layout.ts";
import type { RingCounters } from "./ring-stats.ts";
import { waitOn } from "./ring-wait.ts";

/**
 * Set the flag, re-check, and only then wait on the flag, until `ready()`, `timeoutMs` or `signal` aborts.
 * Whoever makes `ready` true clears the flag and notifies; we clear it ourselves on every other way out.
 */
export async function sleepOnFlag(
  h: Int32Array, flag: number, waiters: number[], cnt: RingCounters, ready: () => boolean, timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  if (signal?.aborted) return false;
  const deadline = performance.now() + timeoutMs;
  // Aborting must release a pending waitAsync; we cannot cancel it, so we satisfy it (a spurious wake-up).
  const onAbort = (): void => {
    Atomics.store(h, flag, 0);
    cnt.arr[cnt.base + C_NOTIFIES]!++;
    Atomics.notify(h, flag);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const slot = flag === I_CONSUMER_SLEEPING ? 0 : 1;
  waiters[slot]++;
  try {
    for (;;) {
      Atomics.store(h, flag, 1);
      if (ready()) return true;
      const left = deadline - performance.now();
      if (left <= 0 || signal?.aborted) return false;
      if (await waitOn(h, flag, 1, left) !== "not-equal") cnt.arr[cnt.base + C_WAKEUPS]!++;
    }
  } finally {
    // Another waiter of ours on the same flag still needs it set, or the other thread would not notify it.
    if (--waiters[slot]! === 0) Atomics.store(h, flag, 0);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * The consumer loop's sleep (ring-consumer.ts), the same protocol as sleepOnFlag at the least cost per wake-up: one
 * promise besides the waitAsync's own, no timeout, no signal listener, no keep-alive toggle (the loop holds one);
 * resolves when the ring has data or on `Ring#wakeConsumer()`. Returns at once when a record is already there.
 */
export async function sleepUntilData(
  h: Int32Array, waiters: number[], cnt: RingCounters, ring: { isEmpty(): boolean },
): Promise<void> {
  waiters[0]++;
  try {
    Atomics.store(h, I_CONSUMER_SLEEPING, 1);
    if (!ring.isEmpty()) return;
    const r = Atomics.waitAsync(h, I_CONSUMER_SLEEPING, 1);
    if (!r.async) return; // the producer cleared the flag in between: it published
    await r.value;
    cnt.arr[cnt.base + C_WAKEUPS]!++;
  } finally {
    if (--waiters[0]! === 0) Atomics.store(h, I_CONSUMER_SLEEPING, 0);
  }
}
