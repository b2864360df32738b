/**
 * Microbenchmarks of the SAB ring queue (src/ring): push+poll on one thread, throughput across two threads (64 B
 * and 1 KiB records, consumer on the waitAsync loop), and a round trip over two rings.
 *
 *   bun bench/micro/ring.bench.ts          # mitata, then the timed cross-thread loops (records/s, MB/s, µs)
 *
 * Importing the file only registers the mitata benchmarks; the peer worker starts on first use and is unref'd, so
 * it never keeps a process alive. The cross-thread figures are also measured by a plain timed loop, since a mitata
 * sample of "N records then an acknowledgement" is less readable than records per second.
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { RecordRing, Ring } from "../../src/ring/index.ts";

// ---------------------------------------------------------------- one thread

let acc = 0;
const sink = (_bytes: Uint8Array, off: number, len: number): void => {
  acc = (acc + off + len) | 0;
};
const sinkFields = (f: Int32Array, _bytes: Uint8Array, _off: number, len: number): void => {
  acc = (acc + f[0]! + len) | 0;
};

const local = Ring.create(1 << 16);
const localRec = new RecordRing(Ring.create(1 << 16), 3);
const src64 = new Uint8Array(64).fill(7);
const src1k = new Uint8Array(1024).fill(7);
const fields = [1, 2, 3];

/**
 * mitata measures the first benchmark of a run before JSC has optimised push/poll (it showed ~10x slower than the
 * same code run second), so each one-thread case is run for a while in the setup part of a generator bench.
 */
function warmed(fn: () => void): () => Generator<() => void> {
  return function* () {
    for (let i = 0; i < 200_000; i++) fn();
    yield fn;
  };
}

group("ring, one thread", () => {
  summary(() => {
    bench("push + poll, 64 B", warmed(() => {
      local.push(src64);
      do_not_optimize(local.poll(sink));
    }));
    bench("reserve + commit + poll, 64 B (no copy)", warmed(() => {
      const at = local.reserve(64);
      local.bytes[at] = 1;
      local.commit();
      do_not_optimize(local.poll(sink));
    }));
    bench("32 x push, then one poll, 64 B (per batch)", warmed(() => {
      for (let i = 0; i < 32; i++) local.push(src64);
      do_not_optimize(local.poll(sink));
    }));
    bench("push + poll, 1 KiB", warmed(() => {
      local.push(src1k);
      do_not_optimize(local.poll(sink));
    }));
    bench("RecordRing push + poll, 3 fields + 64 B", warmed(() => {
      localRec.push(fields, src64);
      do_not_optimize(localRec.poll(sinkFields));
    }));
  });
});

// ---------------------------------------------------------------- two threads

interface Peer {
  /** main → worker */
  a: Ring;
  /** worker → main (acknowledgements, echoes) */
  b: Ring;
  worker: Worker;
}

const peers = new Map<string, Promise<Peer>>();

/** A worker consuming ring `a` with startConsumer and echoing flagged records into ring `b`. */
function peer(key: string, capacity: number, opts: { spin?: number; turnBudget?: number } = {}): Promise<Peer> {
  let p = peers.get(key);
  if (p === undefined) {
    p = new Promise<Peer>((resolve, reject) => {
      const a = Ring.create(capacity);
      const b = Ring.create(1 << 16);
      const worker = new Worker(new URL("./ring-bench-worker.ts", import.meta.url).href);
      worker.unref();
      worker.onmessage = () => resolve({ a, b, worker });
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage({ a: a.sab, b: b.sab, ...opts });
    });
    peers.set(key, p);
  }
  return p;
}

export async function stopPeers(): Promise<void> {
  for (const p of peers.values()) (await p).worker.terminate();
  peers.clear();
}

const noop = (): void => {};

async function awaitEcho(b: Ring): Promise<void> {
  while (b.poll(noop) === 0) await b.waitForData();
}

/** Sends `count` records copied from `body` (first byte 0), the last one flagged, and waits for its echo. */
async function transfer(p: Peer, body: Uint8Array, last: Uint8Array, count: number): Promise<void> {
  const ring = p.a;
  const len = body.length;
  for (let i = 1; i < count; i++) {
    while (!ring.push(body)) await ring.waitForSpace(len);
  }
  while (!ring.push(last)) await ring.waitForSpace(len);
  await awaitEcho(p.b);
}

function bodies(size: number): [Uint8Array, Uint8Array] {
  const body = new Uint8Array(size).fill(0x5a);
  body[0] = 0;
  const last = body.slice();
  last[0] = 1;
  return [body, last];
}

const [body64, last64] = bodies(64);
const [body1k, last1k] = bodies(1024);
const ping = new Uint8Array(64).fill(1);

group("ring, two threads (consumer on Atomics.waitAsync)", () => {
  bench("64 B x 10,000 records → worker, then ack", async () => {
    await transfer(await peer("t", 1 << 18), body64, last64, 10_000);
  });
  bench("1 KiB x 10,000 records → worker, then ack", async () => {
    await transfer(await peer("t", 1 << 18), body1k, last1k, 10_000);
  });
  bench("round trip, 64 B over two rings", async () => {
    const p = await peer("t", 1 << 18);
    p.a.push(ping);
    await awaitEcho(p.b);
  });
});

// ---------------------------------------------------------------- timed loops

export interface ThroughputResult {
  size: number;
  records: number;
  ms: number;
  recordsPerSec: number;
  mbPerSec: number;
  consumerWakeups: number;
  producerWakeups: number;
}

/** Streams records of `size` bytes to the peer for about `ms` milliseconds (in chunks of 100k, each acknowledged). */
export async function measureThroughput(size: number, ms = 1000, capacity = 1 << 18): Promise<ThroughputResult> {
  const p = await peer(`m${capacity}`, capacity);
  const [body, last] = bodies(size);
  await transfer(p, body, last, 100_000); // warm-up
  const w0 = p.a.stats();
  const chunk = 100_000;
  let records = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await transfer(p, body, last, chunk);
    records += chunk;
  }
  const elapsed = performance.now() - t0;
  const w1 = p.a.stats();
  return {
    size,
    records,
    ms: elapsed,
    recordsPerSec: (records / elapsed) * 1000,
    mbPerSec: (records * size) / elapsed / 1000,
    consumerWakeups: w1.consumerWakeups - w0.consumerWakeups,
    producerWakeups: w1.producerWakeups - w0.producerWakeups,
  };
}

/** Median and p99 of `n` ping-pong round trips, in microseconds. */
export async function measureRoundTrip(n = 2000): Promise<{ p50: number; p99: number }> {
  const p = await peer("t", 1 << 18);
  const us: number[] = [];
  for (let i = 0; i < n + 200; i++) {
    const t = performance.now();
    p.a.push(ping);
    await awaitEcho(p.b);
    if (i >= 200) us.push((performance.now() - t) * 1000);
  }
  us.sort((x, y) => x - y);
  return { p50: us[n >> 1]!, p99: us[Math.floor(n * 0.99)]! };
}

if (import.meta.main) {
  await run();
  console.log("\ncross-thread timed loops (main thread produces with push/waitForSpace; worker consumes with startConsumer)");
  for (const size of [64, 1024]) {
    for (let rep = 0; rep < 3; rep++) {
      const r = await measureThroughput(size);
      console.log(
        `  ${String(size).padStart(4)} B: ${(r.recordsPerSec / 1e6).toFixed(2)} M records/s, ` +
          `${r.mbPerSec.toFixed(0)} MB/s  (${r.records} in ${r.ms.toFixed(0)} ms; consumer woken ${r.consumerWakeups}x, ` +
          `producer woken ${r.producerWakeups}x)`,
      );
    }
  }
  const rt = await measureRoundTrip();
  console.log(`  round trip 64 B: p50 ${rt.p50.toFixed(1)} µs, p99 ${rt.p99.toFixed(1)} µs`);
  do_not_optimize(acc);
  await stopPeers();
}
