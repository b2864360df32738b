// `npm run bench:soak`: a bounded soak of grocketd on loopback. A quiet phase with well-behaved clients only, then
// a hostile phase that adds, at the same time: slowloris heads, trickled bodies, slow readers of big responses,
// never-reading TCP pipelines, a never-settling reply with packets streamed behind it, TLS connections that never
// handshake, a packet that spins its thread for ever and a request that exits its thread. Prints, for the normal
// clients, requests served, errors, lost connections and p99 (quiet vs hostile), and for the server its peak RSS,
// the threads replaced, and whether it still serves at the end. Exits 1 when the server is not serving at the end.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "./lib/cli-args.ts";
import { startServer, type ChildServer } from "./lib/child-server.ts";
import { httpSpec, newStats, runNormalClient, tcpSpec, type NormalStats } from "./lib/soak-normal.ts";
import * as hostile from "./lib/soak-hostile.ts";
import { makeTestCert } from "../test/helpers/tls-cert.ts";

const USAGE = `usage: bun bench/soak.ts [--quiet-seconds 20] [--hostile-seconds 70] [--normal 16] [--hostile 40]
  --quiet-seconds   length of the quiet phase (normal clients only)
  --hostile-seconds length of the hostile phase (normal + hostile clients)
  --normal          normal connections (half HTTP, half TCP)
  --hostile         connections per hostile kind (slowloris, slow bodies, slow readers, never-reading, no handshake)`;
const args = parseArgs(process.argv.slice(2), { "quiet-seconds": "number", "hostile-seconds": "number", normal: "number", hostile: "number" }, USAGE);
const quietS = args["quiet-seconds"] ?? 20;
const hostileS = args["hostile-seconds"] ?? 70;
const normalN = args.normal ?? 16;
const hostileN = args.hostile ?? 40;
const HIGH_WATER = 256 * 1024;
const STALL_MS = 2000;
const REQUEST_TIMEOUT_MS = 5000;

async function freePort(): Promise<number> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(s: NormalStats): { served: number; errors: number; lost: number; p50: number; p99: number; errorSamples: string[] } {
  const sorted = s.latenciesMs.slice().sort((a, b) => a - b);
  return { served: s.served, errors: s.errors, lost: s.lost, p50: pct(sorted, 50), p99: pct(sorted, 99), errorSamples: s.errorSamples };
}

async function runNormal(ports: { http: number; tcp: number }, until: number): Promise<NormalStats> {
  const stats = newStats();
  const clients: Promise<void>[] = [];
  for (let i = 0; i < normalN; i++) {
    const spec = i % 2 === 0 ? httpSpec(ports.http) : tcpSpec(ports.tcp);
    clients.push(runNormalClient(spec, stats, until, REQUEST_TIMEOUT_MS));
  }
  await Promise.all(clients);
  return stats;
}

async function stillServing(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/hello`, { signal: AbortSignal.timeout(3000) });
    return r.status === 200 && (await r.text()) === "ok";
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const cert = makeTestCert();
  if ("skip" in cert) throw new Error(`bench:soak needs a TLS certificate: ${cert.skip}`);
  const dir = mkdtempSync(join(tmpdir(), "grocketd-soak-"));
  const [http, tcp, https, status] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = join(dir, "grocketd.toml");
  writeFileSync(
    config,
    [
      "[server]",
      `listen = ["http://127.0.0.1:${http}", "tcp://127.0.0.1:${tcp}", "https://127.0.0.1:${https}"]`,
      `stall_timeout_ms = ${STALL_MS}`,
      "[io]",
      "threads = 2",
      `high_water = ${HIGH_WATER}`,
      "[tls]",
      `cert = "${cert.cert}"`,
      `key = "${cert.key}"`,
      "handshake_timeout_ms = 3000",
      "[status]",
      `listen = "http://127.0.0.1:${status}"`,
      "",
    ].join("\n"),
  );
  const root = resolve(import.meta.dir, "..");
  let server: ChildServer | null = null;
  // Threads replaced: each death or stall termination is logged as "…; restarting in N ms", each recycle after an
  // uncaught exception as "…; recycling it". Counted over the whole output (the child keeps only a tail).
  let replaced = 0;
  let partial = "";
  const countReplaced = (text: string) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) if (/; restarting in \d+ ms|; recycling it/.test(l)) replaced++;
  };
  try {
    server = await startServer(
      "grocketd",
      [process.execPath, join(root, "src/grocketd.ts"), "--config", config, "--module", join(root, "bench/modules/soak-module.ts")],
      { cwd: root, ready: { port: http, probe: () => stillServing(http) }, readyTimeoutMs: 20_000, onOutput: countReplaced },
    );
    const pid = server.pid;
    let peakKiB = 0;
    const sampler = setInterval(() => (peakKiB = Math.max(peakKiB, rssKiB(pid))), 250);
    const baseKiB = rssKiB(pid);

    console.log(`quiet phase: ${quietS} s, ${normalN} normal connections`);
    const quiet = summary(await runNormal({ http, tcp }, Date.now() + quietS * 1000));
    const quietPeakKiB = peakKiB;

    console.log(`hostile phase: ${hostileS} s, ${normalN} normal + ${hostileN} of each hostile kind, a spin and a crash every 15 s`);
    const until = Date.now() + hostileS * 1000;
    const counters = Object.fromEntries(
      ["slowloris", "slowBody", "slowReaders", "neverReading", "holdThenStream", "noHandshake"].map((k) => [k, { opened: 0, cut: 0 }]),
    ) as Record<string, hostile.HostileCounter>;
    const attacks = [
      hostile.slowloris(http, hostileN, until, counters.slowloris!),
      hostile.slowBody(http, hostileN, until, counters.slowBody!),
      hostile.slowReaders(http, hostileN, until, counters.slowReaders!),
      hostile.neverReading(tcp, hostileN, until, counters.neverReading!),
      hostile.holdThenStream(tcp, Math.max(1, hostileN >> 2), until, counters.holdThenStream!),
      hostile.noHandshake(https, hostileN, until, counters.noHandshake!),
    ];
    let spins = 0;
    let crashes = 0;
    const faults = setInterval(() => {
      if (Date.now() > until - 10_000) return;
      spins++;
      void hostile.oneShotTcp(tcp, "SPIN\n", 1000);
      setTimeout(() => {
        crashes++;
        void hostile.oneShotHttp(http, "/crash", 1000);
      }, 7000);
    }, 15_000);
    const normal = summary(await runNormal({ http, tcp }, until));
    clearInterval(faults);
    await Promise.all(attacks);
    const serving = await stillServing(http);
    clearInterval(sampler);

    const hostileConns = hostileN * 5 + Math.max(1, hostileN >> 2);
    const boundKiB = Math.round(baseKiB + (hostileConns * HIGH_WATER) / 1024 + 64 * 1024);
    const row = (name: string, s: ReturnType<typeof summary>) =>
      `${name.padEnd(8)} served ${String(s.served).padStart(8)}  errors ${String(s.errors).padStart(4)}  lost ${String(s.lost).padStart(4)}  p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms`;
    console.log("\nnormal clients");
    console.log(row("quiet", quiet));
    console.log(row("hostile", normal));
    console.log(`p99 hostile / quiet: ${(normal.p99 / quiet.p99).toFixed(2)}× (goal ≤ 3×)`);
    console.log("\nhostile clients (opened / cut by the server)");
    for (const [k, v] of Object.entries(counters)) console.log(`  ${k.padEnd(15)} ${v.opened} / ${v.cut}`);
    console.log(`  spins ${spins}, crashes ${crashes}`);
    console.log("\nserver");
    console.log(`RSS at start ${(baseKiB / 1024).toFixed(0)} MiB, peak quiet ${(quietPeakKiB / 1024).toFixed(0)} MiB, peak overall ${(peakKiB / 1024).toFixed(0)} MiB`);
    console.log(`RSS bound (start + ${hostileConns} hostile connections × io.high_water ${HIGH_WATER / 1024} KiB + 64 MiB): ${(boundKiB / 1024).toFixed(0)} MiB → ${peakKiB <= boundKiB ? "within" : "OVER"}`);
    console.log(`threads replaced (deaths, stalls, recycles in the log): ${replaced}`);
    console.log(`still serving at the end: ${serving ? "yes" : "NO"}`);
    if (normal.errors > 0) console.log(`error samples: ${JSON.stringify([...new Set(normal.errorSamples)].slice(0, 5))}`);
    process.exitCode = serving ? 0 : 1;
  } finally {
    await server?.stop(5000);
    cert.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
