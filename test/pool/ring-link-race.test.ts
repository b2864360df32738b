// No lost wake-up between an I/O thread and a handler thread (ring/ring-sleep.ts: set the flag, re-check, then
// wait; ring.ts: publish, then notify only a side whose flag is set). Both sides run RingLink as the pool does
// (records published once per turn, the I/O side's grace turns, the handler sleeping at once), across two threads;
// 10,000 requests go one to four at a time with pseudo-random pauses here and random delays on the worker
// (ring-link-echo-worker.ts), so each side is caught awake, spinning, falling asleep and asleep. A lost wake-up
// leaves a request unanswered: each batch must be answered within 5 s (a bound on a hang, not a speed target).
import { afterAll, expect, test } from "bun:test";
import { Ring } from "../../src/ring/ring.ts";
import { RingLink } from "../../src/pool/ring-link.ts";
import { S_POOL_RECORDS, S_POOL_WAKEUPS } from "../../src/stats/stat-fields.ts";

const workers: Worker[] = [];
afterAll(() => {
  for (const w of workers) w.terminate();
});

function message<T>(w: Worker, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not answer within ${ms} ms`)), ms);
    w.onmessage = (e: MessageEvent) => {
      clearTimeout(timer);
      if (e.data && typeof e.data === "object" && "error" in e.data) reject(new Error(e.data.error));
      else resolve(e.data as T);
    };
    w.onerror = (e) => {
      clearTimeout(timer);
      reject(new Error(`worker error: ${e.message}`));
    };
  });
}

test("10,000 requests with random delays around the sleep point on both sides: every one answered, in order per batch", async () => {
  const N = 10_000;
  const pair = { req: Ring.create(64 * 1024).sab, res: Ring.create(64 * 1024).sab };
  const counters = new Float64Array(S_POOL_RECORDS + 3); // the link counts at S_POOL_RECORDS.. (ring-link.ts)
  const answered = new Set<number>();
  let wake: (() => void) | null = null;
  let want = 0;
  const errors: unknown[] = [];
  const io = new RingLink(
    pair,
    "io",
    (_kind, _conn, seq) => {
      answered.add(seq);
      if (answered.size >= want && wake !== null) {
        const w = wake;
        wake = null;
        w();
      }
    },
    (e) => errors.push(e),
    counters,
  );
  const w = new Worker(new URL("./ring-link-echo-worker.ts", import.meta.url).href);
  workers.push(w);
  const ready = message<string>(w, 5_000);
  w.postMessage({ pair });
  expect(await ready).toBe("ready");
  io.start();
  let rng = 777;
  const next = (): number => (rng = (Math.imul(rng, 1103515245) + 12345) >>> 0);
  let seq = 0;
  while (seq < N) {
    const k = Math.min(1 + (next() % 4), N - seq);
    for (let i = 0; i < k; i++) io.send(1, 7, ++seq, 0);
    want = seq;
    if (answered.size < want) {
      const done = new Promise<void>((r) => (wake = r));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), 5_000)));
      const outcome = await Promise.race([done, late]);
      clearTimeout(timer);
      if (outcome === "late") throw new Error(`requests ${answered.size + 1}..${want} unanswered after 5 s: a lost wake-up`);
    }
    // Pause so the worker's consumer is caught running, in its last empty polls, and asleep.
    const p = next() % 8;
    if (p === 1) await new Promise<void>((r) => setImmediate(r));
    else if (p === 2) await Bun.sleep(0);
    else if (p === 3) await Bun.sleep(1);
    else if (p === 4) {
      const end = performance.now() + (next() % 100) / 1000;
      while (performance.now() < end);
    }
  }
  expect(answered.size).toBe(N);
  expect(errors).toEqual([]);
  // Both sides did sleep and get woken many times (the path under test ran), and the I/O side read every answer.
  expect(io.incoming()).toBe(0);
  expect(counters[S_POOL_RECORDS]).toBe(N); // records polled here
  expect(counters[S_POOL_WAKEUPS]).toBeGreaterThan(100); // this side's waits that slept and were woken
  const stopped = message<string>(w, 5_000);
  w.postMessage("stop");
  expect(await stopped).toBe("stopped");
  await io.stop();
}, 60_000);
