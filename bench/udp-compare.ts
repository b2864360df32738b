// `bun run bench:udp:compare`: grocketd's UDP path (src/grocketd.ts, one I/O thread, a udp:// listener serving
// bench/modules/udp-echo.ts) against the bare node:dgram echo in the same run, window 64, 64-byte kiss datagrams.
// Each round restarts each server, idles, and reads its CPU time around the load; reported are datagrams/s and per
// server-CPU-second, loss, per-round ratios and their medians, and the target (≥ 0.80× the bare echo's datagram
// rate with no loss). `--extra` adds reference servers to the table (not to the verdict), among them the older
// stand-alone harness (bench/udp-grocketd-harness.ts: listenUdp in Workers without the master) that the figures in
// README were measured with before grocketd served udp:// itself. --grocketd-dir / --baseline: bench/lib/grocketd-dir.ts.
// Exit code 0 only if the target is met and every echo was correct.

import { resolve } from "node:path";
import { liveServers, startServer } from "./lib/child-server.ts";
import { parseArgs } from "./lib/cli-args.ts";
import { fmtInt } from "./lib/kiss-report.ts";
import { chartNote, writeSvgChart } from "./lib/svg-chart.ts";
import { AB_USAGE, BASE, checkoutDir, fmtRatio, pairedRatios } from "./lib/grocketd-dir.ts";
import { cpus } from "node:os";
import { aggregateUdp, formatUdpReport } from "./lib/udp-compare-report.ts";
import { measureUdpRound, type UdpLoadSpec, type UdpRunRecord, type UdpServerSpec } from "./lib/udp-compare-runs.ts";
import { runUdpClient } from "./lib/udp-kiss-client.ts";

const SERVERS: Record<string, string> = {
  "bare-dgram": "{bun} bench/bare-udp-echo.ts --port 0",
  grocketd: "{bun} src/grocketd.ts --module {root}/bench/modules/udp-echo.ts --listen udp://127.0.0.1:0 --threads 1",
  "bare-bun": "{bun} bench/bare-bun-udp-echo.ts --port 0",
  "grocketd-harness": "{bun} bench/udp-grocketd-harness.ts --port 0 --threads 1",
  "grocketd-dgram": "{bun} bench/udp-grocketd-harness.ts --port 0 --threads 1 --backend dgram",
};

const USAGE = `usage: bun bench/udp-compare.ts [--rounds 5] [--duration 4] [--server-warmup 2] [--idle 1] [--window 64] [--size 64] [--sockets 1]
       [--timeout-ms 500] [--extra bare-bun,grocketd-harness,grocketd-dgram] [--grocketd-cmd CMD] [--bare-cmd CMD]
       [--warmup 1] [--grocketd-dir DIR] [--baseline DIR] [--json] [--svg FILE]
  servers: bare-dgram (anchor) and grocketd (subject); --extra adds bare-bun (Bun.udpSocket echo),
  grocketd-harness (grocketd's UDP listener in bare Workers, no master) and grocketd-dgram (that harness on
  node:dgram); the harness rows always run from this checkout. CMD is split on spaces; {bun} and {root} (this
  checkout) are replaced; the grocketd command runs in its checkout (this one, or --grocketd-dir).
  --svg FILE writes a chart of datagrams per server-CPU-second (median, min–max) to FILE.
${AB_USAGE}
${Object.entries(SERVERS).map(([k, v]) => `  ${k.padEnd(15)} ${v}`).join("\n")}`;

const a = parseArgs(
  process.argv.slice(2),
  {
    rounds: "number",
    duration: "number",
    idle: "number",
    "server-warmup": "number",
    window: "number",
    size: "number",
    sockets: "number",
    "timeout-ms": "number",
    extra: "string",
    "grocketd-cmd": "string",
    "bare-cmd": "string",
    warmup: "number",
    "grocketd-dir": "string",
    baseline: "string",
    json: "boolean",
    svg: "string",
  },
  USAGE,
);

const repo = resolve(import.meta.dir, "..");
const rounds = a.rounds ?? 5;
const load: UdpLoadSpec = {
  window: a.window ?? 64,
  size: a.size ?? 64,
  sockets: a.sockets ?? 1,
  durationSec: a.duration ?? 4,
  idleSec: a.idle ?? 1,
  warmupSec: a["server-warmup"] ?? 2,
  timeoutMs: a["timeout-ms"] ?? 500,
};
const log = (line: string) => process.stderr.write(`${line}\n`);
const command = (t: string) => t.split(/\s+/).filter(Boolean).map((w) => w.replaceAll("{bun}", process.execPath).replaceAll("{root}", repo));
const grocketdDir = checkoutDir(a["grocketd-dir"], repo, "--grocketd-dir");
const baseDir = a.baseline === undefined ? undefined : checkoutDir(a.baseline, repo, "--baseline");

const specs: UdpServerSpec[] = [
  { name: "bare-dgram", cmd: command(a["bare-cmd"] ?? SERVERS["bare-dgram"]!) },
  { name: "grocketd", cmd: command(a["grocketd-cmd"] ?? SERVERS.grocketd!), cwd: grocketdDir },
];
if (baseDir) specs.push({ name: BASE, cmd: command(a["grocketd-cmd"] ?? SERVERS.grocketd!), cwd: baseDir });
if (grocketdDir !== repo) log(`grocketd from ${grocketdDir}`);
if (baseDir) log(`${BASE} from ${baseDir}`);
for (const x of (a.extra ?? "").split(",").filter(Boolean)) {
  const cmd = SERVERS[x];
  if (!cmd || x === "bare-dgram" || x === "grocketd") throw new Error(`--extra: unknown server ${x} (bare-bun, grocketd-harness, grocketd-dgram)`);
  specs.push({ name: x, cmd: command(cmd) });
}

process.on("SIGINT", async () => {
  log("interrupted: stopping servers");
  await Promise.all(liveServers().map((s) => s.stop(1000)));
  process.exit(130);
});

const records: UdpRunRecord[] = [];
try {
  const warm = a.warmup ?? 1;
  if (warm > 0) {
    // Warms the client's JIT before the first measured round.
    log(`warm-up: ${warm} s against ${specs[0]!.name}`);
    const s = await startServer(specs[0]!.name, specs[0]!.cmd, { cwd: specs[0]!.cwd ?? repo });
    try {
      await runUdpClient({ port: s.port, window: load.window, size: load.size, sockets: load.sockets, durationSec: warm });
    } finally {
      await s.stop();
    }
  }
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order each round so drift (thermal, neighbours) does not favour one server.
    const order = round % 2 ? specs : [...specs].reverse();
    for (const spec of order) {
      const r = await measureUdpRound(spec, load, round, repo);
      records.push(r);
      log(
        `round ${round}/${rounds} ${spec.name.padEnd(15)} ${fmtInt(r.dgramPerSec).padStart(9)} dgram/s ` +
          `${fmtInt(r.dgramPerCpuSec).padStart(9)} dgram/CPU-s  cpu ${r.serverCpuSec.toFixed(2)} s  lost ${r.lost}  late ${r.late}  ` +
          `mismatches ${r.mismatches}${r.mismatches || r.errors ? "  FAILED" : ""}`,
      );
      for (const f of r.failures.slice(0, 5)) log(`    ${f}`);
      await Bun.sleep(200);
    }
  }
} catch (e) {
  log(`udp-compare: ${(e as Error).message}`);
  await Promise.all(liveServers().map((s) => s.stop(1000)));
  process.exit(2);
}

const res = aggregateUdp(records, "bare-dgram", "grocketd");
const ab = (s: ReturnType<typeof pairedRatios>) => (s ? fmtRatio(s) : "n/a");
const correct = records.every((r) => r.mismatches === 0 && r.errors === 0);
const report =
  formatUdpReport(res, { rounds, window: load.window, size: load.size, sockets: load.sockets }, "bare-dgram", "grocketd") +
  (baseDir ? `\nbefore/after: grocketd/${BASE} per server-CPU-s ${ab(pairedRatios(records, "grocketd", BASE, (r) => r.dgramPerCpuSec))}, dgram/s ${ab(pairedRatios(records, "grocketd", BASE, (r) => r.dgramPerSec))}` : "") +
  `\n\ncorrectness: ${correct ? "every echo matched, no socket errors" : "FAILED (see the rounds above)"}`;
if (a.svg) {
  writeSvgChart(a.svg, {
    title: `UDP kiss echo, ${load.size}-byte datagrams, window ${load.window}`,
    unit: "datagrams per server-CPU-second",
    groups: [{ title: "echo", bars: res.servers.map((s) => ({ label: s.server, value: s.dgramPerCpuSec })) }],
    note: chartNote(rounds, cpus().length),
  });
  log(`chart written to ${a.svg}`);
}
if (a.json) {
  log(report);
  process.stdout.write(`${JSON.stringify({ config: { rounds, ...load, servers: specs }, records, result: res, correct, ok: correct && res.met === true })}\n`);
} else process.stdout.write(`${report}\n`);
process.exit(correct && res.met === true ? 0 : 1);
