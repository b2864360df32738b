/**
 * Peer thread for ring.bench.ts: consumes ring `a` with the waitAsync consumer loop and echoes every record whose
 * first byte is 1 into ring `b` (the end-of-batch acknowledgement for throughput runs, every record for ping-pong).
 * Sent once: { a: SharedArrayBuffer, b: SharedArrayBuffer, spin?: number, turnBudget?: number }.
 */
import { Ring, type ConsumerOptions } from "../../src/ring/index.ts";

declare const self: Worker;

interface Setup {
  a: SharedArrayBuffer;
  b: SharedArrayBuffer;
  spin?: number;
  turnBudget?: number;
}

self.onmessage = (e: MessageEvent<Setup>) => {
  const rx = Ring.attach(e.data.a);
  const tx = Ring.attach(e.data.b);
  const opts: ConsumerOptions = {};
  if (e.data.spin !== undefined) opts.spin = e.data.spin;
  if (e.data.turnBudget !== undefined) opts.turnBudget = e.data.turnBudget;
  let sum = 0;
  rx.startConsumer((bytes, off, len) => {
    // Touch the record the way a real consumer would (first and last byte), so nothing is optimised away.
    sum = (sum + bytes[off]! + bytes[off + len - 1]!) | 0;
    if (bytes[off] === 1) tx.push(bytes, off, len);
  }, opts);
  postMessage("ready");
};
