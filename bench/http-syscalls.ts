// `bun bench/http-syscalls.ts`: system calls per plain keep-alive request of each bench:http server (issue 17 goal
// 1), counted, not timed, so the figures hold on a loaded machine. Each server is started fresh (as bench:http starts
// it: bench/lib/http-servers.ts), warmed up with the same number of requests, then `strace -f -c` is attached to its
// process for exactly N requests (bench/lib/http-fixed-client.ts: N GETs over C connections, one in flight on each)
// and the calls per request are printed side by side. What differs between two servers here is work in the kernel;
// what is the same here and differs in CPU time is user-space work.
// Usage: bun bench/http-syscalls.ts [--requests 20000] [--connections 64] [--only grocketd,bare-bun,bun,uws] [--uws PATH]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "./lib/cli-args.ts";
import { fixedHttpLoad } from "./lib/http-fixed-client.ts";
import { parseOnly, setupServers } from "./lib/http-servers.ts";

const USAGE = "usage: bun bench/http-syscalls.ts [--requests 20000] [--connections 64] [--only grocketd,bare-bun,bun,uws] [--uws PATH]";
const a = parseArgs(process.argv.slice(2), { requests: "number", connections: "number", only: "string", uws: "string" }, USAGE);
const requests = a.requests ?? 20_000;
const connections = a.connections ?? 64;
if (!Bun.which("strace")) throw new Error("strace not found (apt-get install strace)");
const repo = resolve(import.meta.dir, "..");
const { specs, notes } = setupServers({ only: parseOnly(a.only ?? "grocketd,bare-bun,bun,uws"), repo, uwsBin: a.uws });
for (const n of notes) process.stderr.write(`${n}\n`);
const dir = mkdtempSync(join(tmpdir(), "grocketd-http-syscalls-"));

/** strace -c's table: calls (and errors) per system call name. */
function readTable(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2] !== "total") out.set(m[2]!, (out.get(m[2]!) ?? 0) + Number(m[1]));
  }
  return out;
}

const tables = new Map<string, Map<string, number>>();
try {
  for (const spec of specs) {
    const r = await spec.start();
    try {
      await fixedHttpLoad(r.server.port, requests, connections); // warm-up: JIT, buffers
      await Bun.sleep(300);
      const file = join(dir, `${spec.name}.txt`);
      const st = Bun.spawn(["strace", "-f", "-c", "-o", file, "-p", String(r.server.pid)], { stdout: "ignore", stderr: "ignore" });
      await Bun.sleep(500); // attached to every thread
      await fixedHttpLoad(r.server.port, requests, connections);
      st.kill("SIGINT");
      await st.exited;
      tables.set(spec.name, readTable(file));
      process.stderr.write(`${spec.name}: ${requests} requests counted\n`);
    } finally {
      await r.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const names = [...tables.keys()];
const calls = new Set<string>();
for (const t of tables.values()) for (const [k, v] of t) if (v / requests >= 0.001) calls.add(k);
const total = (t: Map<string, number>) => [...t.values()].reduce((x, y) => x + y, 0);
console.log(`system calls per request (strace -f -c on the server's process; ${requests} keep-alive GETs over ${connections} connections, one in flight each)`);
console.log(`${"".padEnd(16)}${names.map((n) => n.padStart(12)).join("")}`);
for (const c of [...calls].sort((x, y) => (tables.get(names[0]!)?.get(y) ?? 0) - (tables.get(names[0]!)?.get(x) ?? 0))) {
  console.log(`${c.padEnd(16)}${names.map((n) => ((tables.get(n)!.get(c) ?? 0) / requests).toFixed(3).padStart(12)).join("")}`);
}
console.log(`${"all".padEnd(16)}${names.map((n) => (total(tables.get(n)!) / requests).toFixed(3).padStart(12)).join("")}`);
console.log("(strace slows every system call, so a server's batching under strace may differ a little from its batching without it.)");
