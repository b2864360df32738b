/**
 * Worker side of ring-threads.test.ts. One command per message; replies with one result message.
 *   verify:  consume `n` records from `sab` with startConsumer, verify each, reply count/bad/checksum
 *   produce: produce `n` records into `sab` with backpressure (waitForSpace), reply checksum/stats
 *   echo:    copy every record from `inSab` to `outSab` until told to stop
 */
import { Ring } from "../../src/ring/index.ts";
import { Rng, Verifier, makeWriter, mix } from "./ring-pattern.ts";

declare const self: Worker;

export type WorkerCommand =
  | { cmd: "verify"; sab: SharedArrayBuffer; n: number; seed: number; minLen: number; maxLen: number }
  | { cmd: "produce"; sab: SharedArrayBuffer; n: number; seed: number; minLen: number; maxLen: number }
  | { cmd: "echo"; inSab: SharedArrayBuffer; outSab: SharedArrayBuffer }
  | { cmd: "stop" };

export interface WorkerResult {
  count: number;
  bad: number;
  checksum: number;
  firstBad: string;
  ms: number;
  producerWakeups: number;
  consumerWakeups: number;
}

let stopEcho: (() => Promise<void>) | undefined;

async function verify(c: Extract<WorkerCommand, { cmd: "verify" }>): Promise<WorkerResult> {
  const ring = Ring.attach(c.sab);
  const v = new Verifier(c.seed, c.minLen, c.maxLen);
  const t0 = performance.now();
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const consumer = ring.startConsumer((bytes, off, len) => {
    v.onRecord(bytes, off, len);
    if (v.count === c.n) finish();
  });
  await Promise.race([finished, consumer.done]);
  await consumer.stop();
  const s = ring.stats();
  return { count: v.count, bad: v.bad, checksum: v.checksum, firstBad: v.firstBad, ms: performance.now() - t0,
    producerWakeups: s.producerWakeups, consumerWakeups: s.consumerWakeups };
}

async function produce(c: Extract<WorkerCommand, { cmd: "produce" }>): Promise<WorkerResult> {
  const ring = Ring.attach(c.sab);
  const write = makeWriter(ring);
  const rng = new Rng(c.seed);
  const t0 = performance.now();
  let checksum = 0;
  for (let seq = 0; seq < c.n; seq++) {
    const len = rng.int(c.minLen, c.maxLen);
    while (!write(seq, len)) await ring.waitForSpace(len);
    checksum = mix(checksum, seq, len);
  }
  const s = ring.stats();
  return { count: c.n, bad: 0, checksum, firstBad: "", ms: performance.now() - t0,
    producerWakeups: s.producerWakeups, consumerWakeups: s.consumerWakeups };
}

function echo(c: Extract<WorkerCommand, { cmd: "echo" }>): void {
  const rx = Ring.attach(c.inSab);
  const tx = Ring.attach(c.outSab);
  let lost = 0;
  const consumer = rx.startConsumer((bytes, off, len) => {
    // The test never has more in flight than `tx` holds, so a full ring here is a bug worth counting.
    if (!tx.push(bytes, off, len)) lost++;
  });
  stopEcho = async () => {
    await consumer.stop();
    if (lost > 0) throw new Error(`echo lost ${lost} records`);
  };
}

self.onmessage = async (e: MessageEvent<WorkerCommand>) => {
  const c = e.data;
  try {
    if (c.cmd === "verify") postMessage(await verify(c));
    else if (c.cmd === "produce") postMessage(await produce(c));
    else if (c.cmd === "echo") {
      echo(c);
      postMessage("ready");
    } else {
      await stopEcho?.();
      postMessage("stopped");
    }
  } catch (err) {
    postMessage({ error: String((err as Error)?.stack ?? err) });
  }
};
