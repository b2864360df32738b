/**
 * Microbenchmarks of the TCP read path (src/io/tcp/tcp-framing.ts + the cork): one read event through framing,
 * proc and corking into one write, with a socket that accepts everything. Rows: the kiss echo with 1 and 16 packets
 * per read, a length-prefixed protocol whose proc answers with a fresh reply (cork copies), and a packet split
 * across two reads.
 *
 *   bun bench/micro/framing.bench.ts   # or `bun run bench` for every suite
 */
import { bench, do_not_optimize, group, run } from "mitata";
import { defaultConfig } from "../../src/config/keys.ts";
import { IoContext } from "../../src/io/io-context.ts";
import { TcpConnection } from "../../src/io/tcp/tcp-connection.ts";
import { createDataHandler } from "../../src/io/tcp/tcp-framing.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { ModuleDefinition } from "../../src/module/types.ts";
import echo from "../../modules/echo.ts";
import { fakeSocket } from "./fake-socket.ts";
import { InlineBackend } from "../../src/inline/inline-backend.ts";

const log = createLogger({ level: "error", format: "text", where: "bench" });
const io = new IoContext(0, defaultConfig(), log);
io.backend = new InlineBackend(io);

function connection(def: ModuleDefinition<unknown>) {
  const sock = fakeSocket();
  const backend = io.backend.forModule(def, 0);
  const c = new TcpConnection(sock as never, io, { def, moduleIndex: 0, log, maxPacket: 1 << 20, highWater: 1 << 20, backend });
  c.accept();
  const { onData } = createDataHandler(def.check, backend, 1 << 20, 1 << 20);
  return { c, onData };
}

function kiss(id: number): Uint8Array {
  const b = new Uint8Array(44).fill(0x41);
  const s = `${id} `;
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  b[s.length] = 0;
  return b;
}
const one = kiss(1);
const sixteen = new Uint8Array(44 * 16);
for (let i = 0; i < 16; i++) sixteen.set(kiss(i + 1), i * 44);

const lp = {
  name: "lp",
  version: "1.0.0",
  grocketd: "^0.1.0",
  check: (b: Uint8Array, s: number, e: number) => (e - s < 2 ? 0 : 2 + ((b[s]! << 8) | b[s + 1]!)),
  proc: (p: Uint8Array) => {
    const out = new Uint8Array(p.length);
    out.set(p);
    return out;
  },
} as ModuleDefinition<unknown>;
const lp16 = new Uint8Array(16 * 46);
for (let i = 0; i < 16; i++) lp16[i * 46 + 1] = 44;

const e1 = connection(echo as ModuleDefinition<unknown>);
const e16 = connection(echo as ModuleDefinition<unknown>);
const l16 = connection(lp);
const split = connection(echo as ModuleDefinition<unknown>);

// Bun hands `data` a fresh chunk per read; copying the template models that (and costs the same in every row).
group("tcp read event (fake socket)", () => {
  bench("echo, 1 packet per read", () => e1.onData(e1.c, new Uint8Array(one)));
  bench("echo, 16 packets per read (/16 per packet)", () => e16.onData(e16.c, new Uint8Array(sixteen)));
  bench("length-prefixed, 16 fresh replies per read", () => l16.onData(l16.c, new Uint8Array(lp16)));
  bench("echo, packet split over 2 reads", () => {
    split.onData(split.c, new Uint8Array(one.subarray(0, 20)));
    split.onData(split.c, new Uint8Array(one.subarray(20)));
  });
  bench("baseline: copy the chunk only", () => do_not_optimize(new Uint8Array(sixteen)));
});

/**
 * mitata's averages of these rows swing by 2× between runs (the per-iteration chunk makes GC land unevenly), so the
 * before/after figure for the read path is this: a steady loop of read events, median of 5 runs of 500k events.
 */
export function measureReadLoops(): { name: string; usPerEvent: number }[] {
  const rows: [string, ReturnType<typeof connection>, Uint8Array][] = [
    ["echo, 16 packets per read", e16, sixteen],
    ["length-prefixed, 16 fresh replies per read", l16, lp16],
  ];
  return rows.map(([name, conn, template]) => {
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      for (let i = 0; i < 500_000; i++) conn.onData(conn.c, new Uint8Array(template));
      runs.push(((performance.now() - t) * 1000) / 500_000);
    }
    runs.sort((a, b) => a - b);
    return { name, usPerEvent: runs[2]! };
  });
}

if (import.meta.main) {
  await run();
  console.log("\ntcp read event, steady loop (median of 5 × 500k events)");
  for (const r of measureReadLoops()) console.log(`  ${r.name}: ${r.usPerEvent.toFixed(3)} µs/event`);
}
