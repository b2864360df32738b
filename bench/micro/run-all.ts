/**
 * `bun run bench`: every mitata suite of bench/micro in one run (each file registers its benchmarks on import),
 * then the ring's cross-thread timed loops, which mitata cannot drive.
 */
import { run } from "mitata";
import { measureReadLoops } from "./framing.bench.ts";
import "./fetch-bridge.bench.ts";
import "./http-server.bench.ts";
import "./llhttp.bench.ts";
import { measureThroughput, measureRoundTrip, stopPeers } from "./ring.bench.ts";

await run();
console.log("\ntcp read event, steady loop (median of 5 × 500k events)");
for (const r of measureReadLoops()) console.log(`  ${r.name}: ${r.usPerEvent.toFixed(3)} µs/event`);
console.log("\nring across two threads (consumer on Atomics.waitAsync)");
for (const size of [64, 1024]) {
  const r = await measureThroughput(size);
  console.log(`  ${String(size).padStart(4)} B records: ${(r.recordsPerSec / 1e6).toFixed(2)} M/s, ${r.mbPerSec.toFixed(0)} MB/s`);
}
const rt = await measureRoundTrip();
console.log(`  round trip 64 B: p50 ${rt.p50.toFixed(1)} µs, p99 ${rt.p99.toFixed(1)} µs`);
await stopPeers();
