/**
 * @module ring/ring-wait
 * Sleeping on a shared int32 without blocking the event loop: `Atomics.waitAsync`, plus the keep-alive it needs.
 *
 * Measured in Bun 1.4.4: a pending `Atomics.waitAsync` promise (with or without a timeout) does NOT keep the event
 * loop alive. A worker whose only pending work is a waitAsync exits at once (its "close" event fires and a later
 * `Atomics.notify` returns 0), and a main thread with nothing else to do exits without the promise ever settling.
 * So while a ring waiter is pending we hold one ref'd timer per thread; it never fires (the interval is ~12 days),
 * and toggling `ref()`/`unref()` is far cheaper than creating a timer per sleep.
 *
 * We never cancel a waitAsync (Bun's cancellation path on SAB GC is unsafe: oven-sh/bun#37282). A waiter that is no
 * longer wanted is released by changing the flag and notifying; rings live for the life of the process.
 */

let holds = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** Keeps this thread's event loop alive until the matching `releaseKeepAlive()`. Re-entrant (counted). */
export function holdKeepAlive(): void {
  if (holds++ === 0) {
    timer ??= setInterval(() => {}, 1_000_000_000);
    timer.ref();
  }
}

export function releaseKeepAlive(): void {
  if (holds > 0 && --holds === 0) timer?.unref();
}

export type WaitOutcome = "ok" | "not-equal" | "timed-out";

/**
 * Waits while `i32[index] === expected`, for at most `timeoutMs` (Infinity = no limit), without blocking.
 * Resolves "not-equal" when the value had already changed (checked atomically with the registration of the
 * waiter, which is what makes flag-then-recheck protocols free of lost wake-ups), "ok" when notified, or
 * "timed-out". Callers must re-check their condition in every case: wake-ups may be spurious.
 */
export async function waitOn(i32: Int32Array, index: number, expected: number, timeoutMs: number): Promise<WaitOutcome> {
  const r = Atomics.waitAsync(i32, index, expected, timeoutMs);
  if (!r.async) return r.value;
  holdKeepAlive();
  try {
    return await r.value;
  } finally {
    releaseKeepAlive();
  }
}
