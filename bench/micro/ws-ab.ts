/**
 * Two checkouts' WebSocket echo path in one process, interleaved, on the fake socket of ws-echo.bench.ts: JS ns per
 * message for 1 and 16 masked 32-byte text frames per read, median of many short rounds that alternate between the
 * trees (and a bare echo: the least a JS echo must do), so load from other processes hits both alike. Each tree is
 * imported from its own directory (its own module instances). Every read's output is checked by length.
 *
 *   bun bench/micro/ws-ab.ts [--base /work/wt/base] [--rounds 41] [--reads 20000]
 */
import { resolve } from "node:path";
import { parseArgs } from "../lib/cli-args.ts";

const a = parseArgs(process.argv.slice(2), { base: "string", rounds: "number", reads: "number" }, "usage: bun bench/micro/ws-ab.ts [--base DIR] [--rounds 41] [--reads 20000]");
const here = resolve(import.meta.dir, "../..");
const base = resolve(a.base ?? resolve(here, "../base"));
const ROUNDS = a.rounds ?? 41;
const READS = a.reads ?? 20000;

type Echo = { onData(b: Uint8Array): void; socket: { written: number } };
interface Tree {
  wsConnection(): Echo;
  bareEcho(): Echo;
  clientFrame(size: number): Buffer;
}
const mine = (await import(resolve(here, "bench/micro/ws-echo.bench.ts"))) as Tree;
const theirs = (await import(resolve(base, "bench/micro/ws-echo.bench.ts"))) as Tree;
const one = mine.clientFrame(32);
const sixteen = Buffer.concat(Array.from({ length: 16 }, () => one));
const chunks1 = Array.from({ length: 64 }, () => new Uint8Array(one));
const chunks16 = Array.from({ length: 64 }, () => new Uint8Array(sixteen));

interface Case {
  name: string;
  c: Echo;
  chunks: Uint8Array[];
  per: number;
  ns: number[];
}
const cases: Case[] = [];
for (const [label, t] of [["base", theirs], ["this", mine]] as const) {
  cases.push({ name: `${label} 1/read`, c: t.wsConnection(), chunks: chunks1, per: 1, ns: [] });
  cases.push({ name: `${label} 16/read`, c: t.wsConnection(), chunks: chunks16, per: 16, ns: [] });
}
cases.push({ name: "bare 1/read", c: mine.bareEcho(), chunks: chunks1, per: 1, ns: [] });
cases.push({ name: "bare 16/read", c: mine.bareEcho(), chunks: chunks16, per: 16, ns: [] });

function once(k: Case, reads: number): number {
  const before = k.c.socket.written;
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < reads; i++) {
    // A chunk is Bun's to reuse after the call; the copy into it stands in for the kernel's.
    const ch = k.chunks[i & 63]!;
    ch.set(k.per === 1 ? one : sixteen);
    k.c.onData(ch);
  }
  const ns = Bun.nanoseconds() - t0;
  if (k.c.socket.written - before !== reads * k.per * 34) throw new Error(`${k.name}: wrote ${k.c.socket.written - before} bytes`);
  return ns / (reads * k.per);
}

for (const k of cases) once(k, READS); // warm-up: every path compiled
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? cases : [...cases].reverse();
  for (const k of order) k.ns.push(once(k, READS));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
console.log(`ws-ab: ${ROUNDS} rounds × ${READS} reads, base ${base}; ns per message (median, min)`);
for (const k of cases) console.log(`${k.name.padEnd(14)} ${median(k.ns).toFixed(1).padStart(8)} ${Math.min(...k.ns).toFixed(1).padStart(8)}`);
