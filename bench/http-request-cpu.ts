// `bun bench/http-request-cpu.ts`: CPU time per keep-alive request of a bench:http server, plain (one in flight per
// connection) and pipelined (--depth requests per write), counted with `perf stat -e task-clock` on the server's I/O
// thread and on its whole process for exactly N requests (bench/lib/http-fixed-client.ts), not timed by the client
// (issue 17 goal 1: what grocketd adds per request over the platform floor). Instructions would be steadier, but
// this machine's perf has no hardware counters (a VM: "no PMU driver, software events only"; `perf stat -e
// instructions:u` reads <not supported>), so task-clock it is: run A and B in the same invocation (--baseline), the
// order alternating by round, and read medians and ranges. Each server is started fresh per round and warmed up
// with the same loads first (JIT out of the figure). The I/O thread is the thread that did most of the warm-up.
// Usage: bun bench/http-request-cpu.ts [--requests 200000] [--connections 16] [--depth 16] [--rounds 5]
//        [--only grocketd,bare-bun,uws] [--grocketd-dir DIR] [--baseline DIR] [--uws PATH]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "./lib/cli-args.ts";
import { AB_USAGE, BASE, checkoutDir, fmtRatio, pairedRatios } from "./lib/grocketd-dir.ts";
import { fixedHttpLoad } from "./lib/http-fixed-client.ts";
import { parseOnly, setupServers } from "./lib/http-servers.ts";
import { attachPerfStat, readPerfStat, requirePerf } from "./lib/perf-stat.ts";
import { formatSpread, spread, type Spread } from "./lib/stats.ts";

const USAGE = `usage: bun bench/http-request-cpu.ts [--requests 200000] [--connections 16] [--depth 16] [--rounds 5] [--only grocketd,bare-bun,uws] [--uws PATH]
${AB_USAGE}`;
const a = parseArgs(
  process.argv.slice(2),
  { requests: "number", connections: "number", depth: "number", rounds: "number", only: "string", "grocketd-dir": "string", baseline: "string", uws: "string" },
  USAGE,
);
requirePerf();
const requests = a.requests ?? 200_000;
const connections = a.connections ?? 16;
const depth = a.depth ?? 16;
const rounds = a.rounds ?? 5;
const repo = resolve(import.meta.dir, "..");
const { specs, notes } = setupServers({
  only: parseOnly(a.only ?? "grocketd"),
  repo,
  grocketdDir: checkoutDir(a["grocketd-dir"], repo, "--grocketd-dir"),
  baseDir: a.baseline === undefined ? undefined : checkoutDir(a.baseline, repo, "--baseline"),
  uwsBin: a.uws,
});
for (const n of notes) process.stderr.write(`${n}\n`);
const dir = mkdtempSync(join(tmpdir(), "grocketd-http-request-cpu-"));

const MODES = [
  { name: "plain", depth: 1 },
  { name: `pipelined x${depth}`, depth },
] as const;

interface Rec {
  server: string;
  round: number;
  mode: string;
  /** task-clock µs per request: the I/O thread's, and the whole process's (JIT and GC threads too). */
  threadUs: number;
  procUs: number;
  /** The I/O thread's user and system time per request, from /proc (10 ms ticks: user space is what grocketd adds). */
  userUs: number;
  sysUs: number;
}

const TICK_US = 1e6 / 100;

/** User and system ticks of one thread. */
function ticksOf(pid: number, tid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return [Number(rest[11]), Number(rest[12])];
}

/** CPU ticks (user + system) of each thread of `pid`. */
function threadTicks(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
      const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
      out.set(Number(t), Number(rest[11]) + Number(rest[12]));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return out;
}

/** The thread that did most of the work between two samples: the I/O thread under load. */
function busiest(before: Map<number, number>, after: Map<number, number>): number {
  let best = 0;
  let most = -1;
  for (const [t, v] of after) {
    const d = v - (before.get(t) ?? 0);
    if (d > most) {
      most = d;
      best = t;
    }
  }
  return best;
}

const recs: Rec[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? specs : [...specs].reverse();
    for (const spec of order) {
      const r = await spec.start();
      try {
        const pid = r.server.pid;
        const t0 = threadTicks(pid);
        for (const m of MODES) await fixedHttpLoad(r.server.port, requests, connections, 60_000, m.depth); // warm-up: JIT, buffers
        const io = busiest(t0, threadTicks(pid));
        await Bun.sleep(300);
        for (const m of MODES) {
          const tf = join(dir, `${spec.name}-${round}-${m.depth}-t.txt`);
          const pf = join(dir, `${spec.name}-${round}-${m.depth}-p.txt`);
          const st = attachPerfStat(pid, tf, ["task-clock"], ["-t", String(io)]);
          const sp = attachPerfStat(pid, pf, ["task-clock"]);
          await Bun.sleep(400); // attached before the first request
          const [u0, s0] = ticksOf(pid, io);
          await fixedHttpLoad(r.server.port, requests, connections, 60_000, m.depth);
          const [u1, s1] = ticksOf(pid, io);
          await Promise.all([st.stop(), sp.stop()]);
          const rec: Rec = {
            server: spec.name,
            round,
            mode: m.name,
            threadUs: ((readPerfStat(tf).get("task-clock") ?? 0) * 1000) / requests,
            procUs: ((readPerfStat(pf).get("task-clock") ?? 0) * 1000) / requests,
            userUs: ((u1 - u0) * TICK_US) / requests,
            sysUs: ((s1 - s0) * TICK_US) / requests,
          };
          recs.push(rec);
          process.stderr.write(`round ${round} ${spec.name} ${m.name}: ${rec.threadUs.toFixed(3)} µs per request on the I/O thread (user ${rec.userUs.toFixed(3)}, system ${rec.sysUs.toFixed(3)}), ${rec.procUs.toFixed(3)} in the process\n`);
        }
      } finally {
        await r.stop();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (s: Spread) => formatSpread(s, 3);
console.log(`task-clock µs per request (perf stat; ${requests} keep-alive GETs over ${connections} connections per mode, ${rounds} rounds, median (min–max))`);
for (const m of MODES) {
  console.log(`\n${m.name}:`);
  console.log(`${"".padEnd(16)}${"I/O thread".padStart(26)}${"its user time".padStart(26)}${"its system time".padStart(26)}${"process".padStart(26)}`);
  for (const spec of specs) {
    const rs = recs.filter((r) => r.server === spec.name && r.mode === m.name);
    if (rs.length === 0) continue;
    const col = (f: (r: Rec) => number) => fmt(spread(rs.map(f))).padStart(26);
    console.log(`${spec.name.padEnd(16)}${col((r) => r.threadUs)}${col((r) => r.userUs)}${col((r) => r.sysUs)}${col((r) => r.procUs)}`);
  }
  if (specs.some((s) => s.name === BASE)) {
    const ms = recs.filter((r) => r.mode === m.name);
    const t = pairedRatios(ms, "grocketd", BASE, (r) => r.threadUs);
    const u = pairedRatios(ms, "grocketd", BASE, (r) => r.userUs);
    const p = pairedRatios(ms, "grocketd", BASE, (r) => r.procUs);
    if (t && u && p) console.log(`grocketd/${BASE} per round: I/O thread ${fmtRatio(t)}, its user time ${fmtRatio(u)}, process ${fmtRatio(p)}`);
  }
}
console.log("\n(task-clock counts user and system time; the client runs on the same machine, so a loaded machine still shows in it.)");
