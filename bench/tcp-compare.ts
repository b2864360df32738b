// `bun run bench:tcp:compare`: grocketd (1 I/O thread, echo module) against the bare Bun.listen echo in the same run,
// with the kiss client at pipeline 1 and 16. Every round restarts each server, idles 1 s, and reads its CPU time around
// the load. Reported: requests per server-CPU-second, per-round ratios, medians, and the targets (≥ 0.95× at P=1,
// ≥ 0.90× at P=16, zero mismatches). Exit code 0 only if every target is met and every echo was correct.

import { resolve } from "node:path";
import { liveServers } from "./lib/child-server.ts";
import { parseArgs } from "./lib/cli-args.ts";
import { aggregate, formatReport } from "./lib/compare-report.ts";
import { type LoadSpec, type RunRecord, type ServerSpec, measureRound, sleep } from "./lib/compare-runs.ts";
import { runKissClient } from "./lib/kiss-client.ts";
import { startServer } from "./lib/child-server.ts";
import { fmtInt } from "./lib/kiss-report.ts";
import { chartNote, writeSvgChart } from "./lib/svg-chart.ts";
import { AB_USAGE, BASE, checkoutDir, fmtRatio, pairedRatios } from "./lib/grocketd-dir.ts";
import { cpus } from "node:os";

const DEFAULT_GROCKETD = "{bun} src/grocketd.ts --module modules/echo.ts --listen tcp://127.0.0.1:{port} --threads {threads}";
const DEFAULT_BARE = "{bun} bench/bare-echo-server.ts --port {port}";

const USAGE = `usage: bun bench/tcp-compare.ts [--rounds 5] [--duration 4] [--server-warmup 2] [--idle 1] [--connections 64] [--pipelines 1,16]
       [--only bare|grocketd] [--threads-server 2] [--grocketd-cmd CMD] [--bare-cmd CMD] [--client-threads 1]
       [--warmup 1] [--timeout 5] [--grocketd-dir DIR] [--baseline DIR] [--json] [--svg FILE]
  CMD is split on spaces; {bun} {port} {threads} are replaced (port 0: the server picks one and prints it); the
  grocketd command runs in its checkout (this one, or --grocketd-dir), so modules/echo.ts is that checkout's.
  default grocketd: ${DEFAULT_GROCKETD}
  default bare:     ${DEFAULT_BARE}
  --threads-server N  also run grocketd with N I/O threads, as a correctness check (zero mismatches), not in the ratio
  --svg FILE          also write a chart of requests per server-CPU-second (median, min–max) to FILE
${AB_USAGE}`;

const a = parseArgs(
  process.argv.slice(2),
  {
    rounds: "number",
    duration: "number",
    idle: "number",
    "server-warmup": "number",
    connections: "number",
    pipelines: "string",
    only: "string",
    "threads-server": "number",
    "grocketd-cmd": "string",
    "bare-cmd": "string",
    "client-threads": "number",
    "grocketd-dir": "string",
    baseline: "string",
    warmup: "number",
    timeout: "number",
    json: "boolean",
    svg: "string",
  },
  USAGE,
);

const repo = resolve(import.meta.dir, "..");
const grocketdDir = checkoutDir(a["grocketd-dir"], repo, "--grocketd-dir");
const baseDir = a.baseline === undefined ? undefined : checkoutDir(a.baseline, repo, "--baseline");
const rounds = a.rounds ?? 5;
const pipelines = (a.pipelines ?? "1,16").split(",").map(Number);
if (pipelines.some((p) => !Number.isInteger(p) || p < 1)) throw new Error(`bad --pipelines ${a.pipelines}`);
if (a.only && a.only !== "bare" && a.only !== "grocketd") throw new Error(`--only must be bare or grocketd`);
const load: Omit<LoadSpec, "pipeline"> = {
  connections: a.connections ?? 64,
  durationSec: a.duration ?? 4,
  idleSec: a.idle ?? 1,
  warmupSec: a["server-warmup"] ?? 2,
  clientThreads: a["client-threads"] ?? 1,
  timeoutSec: a.timeout ?? 5,
};
const log = (line: string) => process.stderr.write(`${line}\n`);

function command(template: string, threads: number): string[] {
  return template
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w.replaceAll("{bun}", process.execPath).replaceAll("{port}", "0").replaceAll("{threads}", String(threads)));
}

const grocketdTemplate = a["grocketd-cmd"] ?? DEFAULT_GROCKETD;
const specs: ServerSpec[] = [];
if (a.only !== "grocketd") specs.push({ name: "bare", cmd: command(a["bare-cmd"] ?? DEFAULT_BARE, 1) });
if (a.only !== "bare") specs.push({ name: "grocketd", cmd: command(grocketdTemplate, 1), cwd: grocketdDir });
if (baseDir && a.only !== "bare") specs.push({ name: BASE, cmd: command(grocketdTemplate, 1), cwd: baseDir });
const checkThreads = a["threads-server"];
if (checkThreads && a.only !== "bare") {
  specs.push({ name: `grocketd-t${checkThreads}`, cmd: command(grocketdTemplate, checkThreads), cwd: grocketdDir, checkOnly: true });
}
if (grocketdDir !== repo) log(`grocketd from ${grocketdDir}`);
if (baseDir) log(`${BASE} from ${baseDir}`);

process.on("SIGINT", async () => {
  log("interrupted: stopping servers");
  await Promise.all(liveServers().map((s) => s.stop(1000)));
  process.exit(130);
});

/** An unmeasured run so the client's JIT is warm before the first measured round. */
async function warmUp(spec: ServerSpec, seconds: number): Promise<void> {
  const server = await startServer(spec.name, spec.cmd, { cwd: spec.cwd ?? repo });
  try {
    for (const pipeline of pipelines) {
      await runKissClient({ port: server.port, connections: load.connections, pipeline, durationSec: seconds / pipelines.length });
    }
  } finally {
    await server.stop();
  }
}

const records: RunRecord[] = [];
try {
  const warm = a.warmup ?? 1;
  if (warm > 0) {
    log(`warm-up: ${warm} s against ${specs[0]!.name}`);
    await warmUp(specs[0]!, warm);
  }
  for (let round = 1; round <= rounds; round++) {
    for (const pipeline of pipelines) {
      // Alternate the order each round so drift (thermal, neighbours) does not favour one server.
      const order = round % 2 ? specs : [...specs].reverse();
      for (const spec of order) {
        const r = await measureRound(spec, { ...load, pipeline }, round, repo);
        records.push(r);
        log(
          `round ${round}/${rounds} P=${pipeline} ${spec.name.padEnd(12)} ${fmtInt(r.reqPerSec).padStart(10)} req/s ` +
            `${fmtInt(r.reqPerCpuSec).padStart(10)} req/CPU-s  cpu ${r.serverCpuSec.toFixed(2)} s  ` +
            `mismatches ${r.mismatches}  failed ${r.failedConnections}${r.ok ? "" : "  FAILED"}`,
        );
        for (const f of r.failures.slice(0, 5)) log(`    ${f}`);
        await sleep(200);
      }
    }
  }
} catch (e) {
  log(`tcp-compare: ${(e as Error).message}`);
  await Promise.all(liveServers().map((s) => s.stop(1000)));
  process.exit(2);
}

const results = aggregate(records, pipelines, "bare", "grocketd");
const correct = records.every((r) => r.ok && r.mismatches === 0 && r.failedConnections === 0);
const targetsMet = results.every((p) => p.met !== false);
const abLines = baseDir
  ? pipelines.map((p) => {
      const mine = records.filter((r) => r.pipeline === p);
      const cpu = pairedRatios(mine, "grocketd", BASE, (r) => r.reqPerCpuSec);
      const rps = pairedRatios(mine, "grocketd", BASE, (r) => r.reqPerSec);
      return `\nbefore/after P=${p}: grocketd/${BASE} per server-CPU-s ${cpu ? fmtRatio(cpu) : "n/a"}, req/s ${rps ? fmtRatio(rps) : "n/a"}`;
    })
  : [];
const report =
  formatReport(results, rounds, load.connections, "grocketd", "bare") +
  abLines.join("") +
  `\n\ncorrectness: ${correct ? "zero mismatches, no failed connections" : "FAILED (see the rounds above)"}` +
  `\ntargets: ${results.some((p) => p.met !== null) ? (targetsMet ? "all met" : "NOT all met") : "not evaluated (one server only)"}`;
if (a.svg) {
  writeSvgChart(a.svg, {
    title: `TCP kiss echo, ${load.connections} connections`,
    unit: "requests per server-CPU-second",
    groups: results.map((p) => ({ title: `pipeline ${p.pipeline}`, bars: p.servers.map((s) => ({ label: s.server, value: s.reqPerCpuSec })) })),
    note: chartNote(rounds, cpus().length),
  });
  log(`chart written to ${a.svg}`);
}
if (a.json) {
  log(report);
  process.stdout.write(`${JSON.stringify({ config: { rounds, pipelines, ...load, servers: specs }, records, results, correct, targetsMet, ok: correct && targetsMet })}\n`);
} else {
  process.stdout.write(`${report}\n`);
}
process.exit(correct && targetsMet ? 0 : 1);
