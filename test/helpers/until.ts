// Waiting in tests on a condition rather than a fixed sleep: polled every few milliseconds, bounded by a time limit
// so a condition that never comes fails the test with what it waited for. A loaded machine only makes it later,
// never wrong (a fixed sleep as synchronisation is right only while the machine is fast enough).

/**
 * Resolves with `cond()`'s first truthy value (it may be async), polled every `everyMs`; throws "timed out waiting
 * for <what>" after `ms`.
 */
export async function until<T>(cond: () => T | Promise<T>, what: string, ms = 10_000, everyMs = 5): Promise<NonNullable<T>> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what} (${ms} ms)`);
    await Bun.sleep(everyMs);
  }
}
