// `bun bench/pool-counts.ts`: what one request costs the handler pool, counted, not timed (issue 17 goal 5) — so it
// means the same on a loaded machine. Starts grocketd in pool mode (a no-op handler: modules/echo.ts over TCP, or
// modules/hello.ts over HTTP), sends a fixed number of requests on N connections (each one in flight at a time, as
// bench:pool does), and divides what the server's /metrics counters moved by the requests: ring records read,
// ring waits that slept and were woken, Atomics.notify calls, on the I/O threads and on the handler threads.
// Also the CPU time of each server thread over the measured requests (/proc/PID/task/TID/schedstat: a guide only on
// a loaded machine; the counts are not), and with --strace the server's system calls per request (strace -f -c,
// attached for the measured requests only). A warm-up of the same size runs first, uncounted. Not a benchmark: run it
// at any size, 20,000 requests is plenty.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "./lib/cli-args.ts";
import { runKissClient } from "./lib/kiss-client.ts";
import { startServer } from "./lib/child-server.ts";
import { fixedHttpLoad } from "./lib/http-fixed-client.ts";

const USAGE =
  "usage: bun bench/pool-counts.ts [--proto tcp|http] [--requests 20000] [--connections 64] [--io 1] [--handlers 1]\n" +
  "       [--inline] [--strace] [--grocketd-dir DIR]";
const a = parseArgs(
  process.argv.slice(2),
  { proto: "string", requests: "number", connections: "number", io: "number", handlers: "number", inline: "boolean", strace: "boolean", "grocketd-dir": "string" },
  USAGE,
);
const proto = a.proto ?? "tcp";
if (proto !== "tcp" && proto !== "http") throw new Error(`--proto must be tcp or http\n${USAGE}`);
const requests = a.requests ?? 20_000;
const connections = a.connections ?? 64;
const root = resolve(import.meta.dir, "..");
const checkout = resolve(a["grocketd-dir"] ?? root);
const dir = mkdtempSync(join(tmpdir(), "grocketd-pool-counts-"));
const cfg = join(dir, "pool.toml");
const module = resolve(checkout, proto === "tcp" ? "modules/echo.ts" : "modules/hello.ts");
writeFileSync(
  cfg,
  `[server]\nmodules = [${JSON.stringify(module)}]\nlisten = ["${proto}://127.0.0.1:0"]\n[io]\nthreads = ${a.io ?? 1}\n` +
    `[worker]\ndisabled = ${a.inline === true}\nthreads = ${a.handlers ?? 1}\n[status]\nlisten = "http://127.0.0.1:0"\n[log]\nlevel = "info"\n`,
);

let status = "";
const server = await startServer("grocketd", [process.execPath, "src/grocketd.ts", "--config", cfg], {
  cwd: checkout,
  readyPattern: /listening\s+(?:on\s+)?(?:tcp|http):\/\/\S*:(\d+)\b/,
  onOutput: (t) => {
    const m = /status listener on (http:\/\/127\.0\.0\.1:\d+)/.exec(t);
    if (m) status = m[1]!;
  },
});

/** Sum of every sample of each counter family we read (all threads). */
async function counters(): Promise<Record<string, number>> {
  const text = await (await fetch(`${status}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^grocketd_((?:handler_)?pool_(?:records|wakeups|notifies)_total|server_packets_total|http_requests_total)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  }
  return out;
}

/** Time on CPU (ns) of every thread of `pid`, by thread id, with its name. */
function threadCpu(pid: number): Map<string, { name: string; ns: number }> {
  const out = new Map<string, { name: string; ns: number }>();
  for (const tid of new Bun.Glob("*").scanSync({ cwd: `/proc/${pid}/task`, onlyFiles: false })) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      out.set(tid, { name: readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim(), ns });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

async function load(n: number): Promise<void> {
  if (proto === "tcp") {
    const s = await runKissClient({ port: server.port, connections, pipeline: 1, requests: n, threads: 1, timeoutSec: 10, progress: false });
    if (s.mismatches > 0 || s.requests < n) throw new Error(`kiss client: ${s.requests} requests, ${s.mismatches} mismatches`);
  } else await fixedHttpLoad(server.port, n, connections);
}

try {
  for (let i = 0; i < 100 && status === ""; i++) await Bun.sleep(20);
  if (status === "") throw new Error("no status listener line");
  await load(requests); // warm-up: JIT, connections' first records
  await Bun.sleep(200);
  let strace: ReturnType<typeof Bun.spawn> | undefined;
  const straceOut = join(dir, "strace.txt");
  if (a.strace) {
    strace = Bun.spawn(["strace", "-f", "-c", "-o", straceOut, "-p", String(server.pid)], { stdout: "ignore", stderr: "ignore" });
    await Bun.sleep(500);
  }
  const before = await counters();
  const cpu0 = threadCpu(server.pid);
  await load(requests);
  const cpu1 = threadCpu(server.pid);
  await Bun.sleep(100);
  const after = await counters();
  if (strace) {
    strace.kill("SIGINT");
    await strace.exited;
  }
  const per = (k: string) => ((after[k] ?? 0) - (before[k] ?? 0)) / requests;
  console.log(`${proto}, ${a.inline ? "inline" : "pool"}, ${a.io ?? 1} I/O thread(s), ${a.handlers ?? 1} handler(s), ${connections} connections, ${requests} requests; per request:`);
  for (const k of ["pool_records_total", "pool_wakeups_total", "pool_notifies_total", "handler_pool_records_total", "handler_pool_wakeups_total", "handler_pool_notifies_total"]) {
    console.log(`  ${k.padEnd(28)} ${per(k).toFixed(3)}`);
  }
  // CPU time on each of the server's threads (schedstat, ns): per request, the busy ones by name.
  console.log("  CPU µs per request by thread (schedstat; only threads over 0.05 µs):");
  let total = 0;
  for (const [tid, t1] of cpu1) {
    const us = (t1.ns - (cpu0.get(tid)?.ns ?? 0)) / 1000 / requests;
    total += us;
    if (us > 0.05) console.log(`    ${(t1.name + "/" + tid).padEnd(24)} ${us.toFixed(2)}`);
  }
  console.log(`    ${"all".padEnd(24)} ${total.toFixed(2)}`);
  if (strace) {
    // Status requests made through the master are a few syscalls in all: noise at 20,000 requests.
    console.log("  system calls per request (strace -f -c, whole process):");
    for (const line of readFileSync(straceOut, "utf8").split("\n")) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$/.exec(line);
      if (m && m[3] !== "total") console.log(`    ${m[3]!.padEnd(12)} ${(Number(m[1]) / requests).toFixed(3)}${m[2] ? ` (errors ${(Number(m[2]) / requests).toFixed(3)})` : ""}`);
    }
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
