/**
 * Cross-thread tests of the SAB ring: bulk transfer with verification, backpressure with a slow consumer, and
 * sleep/wake-up in bursts (a lost wake-up shows up as a timeout). The other side is test/ring/ring-worker.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Ring } from "../../src/ring/index.ts";
import { Rng, Verifier, makeWriter, mix, recordBytes, word } from "./ring-pattern.ts";
import type { WorkerCommand, WorkerResult } from "./ring-worker.ts";

const workers = new Set<Worker>();

function spawn(): Worker {
  const w = new Worker(new URL("./ring-worker.ts", import.meta.url).href);
  workers.add(w);
  return w;
}

function kill(w: Worker): void {
  w.terminate();
  workers.delete(w);
}

afterAll(() => {
  for (const w of workers) w.terminate();
});

/** Next message from the worker (or its error), failing after `ms`. */
function reply<T>(w: Worker, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not answer within ${ms} ms`)), ms);
    w.onmessage = (e: MessageEvent) => {
      clearTimeout(timer);
      const d = e.data as { error?: string };
      if (d && typeof d === "object" && "error" in d) reject(new Error(d.error));
      else resolve(e.data as T);
    };
    w.onerror = (e) => {
      clearTimeout(timer);
      reject(new Error(`worker error: ${e.message}`));
    };
  });
}

function send(w: Worker, c: WorkerCommand): void {
  w.postMessage(c);
}

describe("Ring across two threads", () => {
  test("2M records of 1..2000 bytes, zero-copy, all verified in order", async () => {
    const N = 2_000_000;
    const seed = 0xc0ffee;
    const ring = Ring.create(1 << 20);
    const w = spawn();
    try {
      const done = reply<WorkerResult>(w, 15_000);
      send(w, { cmd: "verify", sab: ring.sab, n: N, seed, minLen: 1, maxLen: 2000 });
      const write = makeWriter(ring);
      const rng = new Rng(seed);
      let checksum = 0;
      const t0 = performance.now();
      for (let seq = 0; seq < N; seq++) {
        const len = rng.int(1, 2000);
        while (!write(seq, len)) await ring.waitForSpace(len);
        checksum = mix(checksum, seq, len);
      }
      const r = await done;
      const ms = performance.now() - t0;
      console.log(`  2M x 1..2000 B: ${ms.toFixed(0)} ms, ${((N / ms) * 1000 / 1e6).toFixed(2)} M rec/s, ` +
        `producer waits woken ${r.producerWakeups}, consumer sleeps woken ${r.consumerWakeups}`);
      expect(r.firstBad).toBe("");
      expect(r.bad).toBe(0);
      expect(r.count).toBe(N);
      expect(r.checksum).toBe(checksum);
      expect(ring.depth()).toBe(0);
    } finally {
      kill(w);
    }
  }, 18_000);

  test("3M small records (1..64 bytes) through push(), verified", async () => {
    const N = 3_000_000;
    const seed = 42;
    const ring = Ring.create(1 << 16);
    const w = spawn();
    // The copy path: each record is built in one scratch array and copied in by push().
    const scratch = new Int32Array(16);
    const scratchBytes = new Uint8Array(scratch.buffer);
    try {
      const done = reply<WorkerResult>(w, 15_000);
      send(w, { cmd: "verify", sab: ring.sab, n: N, seed, minLen: 1, maxLen: 64 });
      const rng = new Rng(seed);
      let checksum = 0;
      const t0 = performance.now();
      for (let seq = 0; seq < N; seq++) {
        const len = rng.int(1, 64);
        const words = (len + 3) >> 2;
        for (let i = 0; i < words; i++) scratch[i] = word(seq, i);
        while (!ring.push(scratchBytes, 0, len)) await ring.waitForSpace(len);
        checksum = mix(checksum, seq, len);
      }
      const r = await done;
      const ms = performance.now() - t0;
      console.log(`  3M x 1..64 B via push: ${ms.toFixed(0)} ms, ${((N / ms) * 1000 / 1e6).toFixed(2)} M rec/s`);
      expect(r.firstBad).toBe("");
      expect(r.bad).toBe(0);
      expect(r.count).toBe(N);
      expect(r.checksum).toBe(checksum);
    } finally {
      kill(w);
    }
  }, 18_000);

  test("full ring: a worker producer waits for space behind a slow consumer; nothing lost or reordered", async () => {
    const N = 20_000;
    const seed = 7;
    const ring = Ring.create(16 * 1024);
    const w = spawn();
    try {
      const done = reply<WorkerResult>(w, 10_000);
      send(w, { cmd: "produce", sab: ring.sab, n: N, seed, minLen: 1, maxLen: 2000 });
      const v = new Verifier(seed, 1, 2000);
      let maxUsed = 0;
      while (v.count < N) {
        maxUsed = Math.max(maxUsed, ring.usedBytes());
        // Slow: a few records per event-loop turn, sleeping in between.
        if (ring.poll(v.onRecord, 40) === 0) await ring.waitForData(2000);
        else await Bun.sleep(0);
      }
      const r = await done;
      expect(v.firstBad).toBe("");
      expect(v.bad).toBe(0);
      expect(v.count).toBe(N);
      expect(v.checksum).toBe(r.checksum);
      expect(r.producerWakeups).toBeGreaterThan(0); // it really waited
      expect(maxUsed).toBeGreaterThan(ring.capacity - 2100); // and the ring really was full
      expect(ring.depth()).toBe(0);
    } finally {
      kill(w);
    }
  }, 12_000);

  test("bursts with pauses: the sleeping consumer is always woken (echo through two rings)", async () => {
    const BURSTS = 600;
    const seed = 99;
    const toWorker = Ring.create(1 << 16);
    const fromWorker = Ring.create(1 << 16);
    const w = spawn();
    try {
      const ready = reply<string>(w, 5_000);
      send(w, { cmd: "echo", inSab: toWorker.sab, outSab: fromWorker.sab });
      expect(await ready).toBe("ready");
      const sizes = new Rng(seed);
      const burst = new Rng(1);
      const v = new Verifier(seed, 1, 200);
      let seq = 0;
      for (let b = 0; b < BURSTS; b++) {
        const k = burst.int(1, 64); // at most 64 * 208 bytes in flight: fits in either ring
        for (let i = 0; i < k; i++) expect(toWorker.push(recordBytes(seq++, sizes.int(1, 200)))).toBe(true);
        while (v.count < seq) {
          if (fromWorker.poll(v.onRecord) > 0) continue;
          // A lost wake-up on either side leaves us here until the timeout.
          if (!(await fromWorker.waitForData(3000))) throw new Error(`no echo for burst ${b} (at ${v.count}/${seq})`);
        }
        // Vary the pause so the worker is caught both awake and asleep.
        const pause = b % 4;
        if (pause === 1) await new Promise<void>((r) => setImmediate(r));
        else if (pause === 2) await Bun.sleep(0);
        else if (pause === 3) await Bun.sleep(1);
      }
      expect(v.firstBad).toBe("");
      expect(v.bad).toBe(0);
      expect(v.count).toBe(seq);
      const stopped = reply<string>(w, 5_000);
      send(w, { cmd: "stop" });
      expect(await stopped).toBe("stopped");
      const wakes = toWorker.stats().consumerWakeups;
      console.log(`  ${BURSTS} bursts, ${seq} records: worker woken ${wakes}x, main woken ` +
        `${fromWorker.stats().consumerWakeups}x`);
      expect(wakes).toBeGreaterThan(BURSTS / 4); // the sleep path was exercised
    } finally {
      kill(w);
    }
  }, 15_000);
});
