// `bun run bench:http`: wrk against grocketd (hello module, 1 I/O thread), grocketd's fetch hook (the same body from
// bench/modules/fetch-hello.ts), Bun.serve, a bare Bun.listen responder (bare-bun: no parsing, the floor of any Bun.listen
// server), nginx (1 worker) and the uWebSockets anchor (when present) in the same run, plain and pipelined ×16. Every round starts each server fresh (alternating the order), checks its answer with a
// raw request, idles 1 s, and reads its CPU time around one wrk run. Reported: median (min–max) req/s and requests per
// server-CPU-second, per-round ratios (the fetch hook against the http hook and Bun.serve too), and the targets grocketd/nginx ≥ 1.0 plain and ≥ 8 pipelined per server-CPU-s.
// --tls: the same over HTTPS with one throw-away certificate and one suite pinned by the client (bench/lib/http-tls.ts),
// the uWebSockets anchor left out (no TLS); target ≥ 1.0× nginx plain and pipelined (issue 17).
// Exit 0 when it ran (targets are reported, not enforced); 1 on non-2xx answers; 2 when a server failed to start,
// answered the raw check wrongly, or wrk is missing.

import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "./lib/cli-args.ts";
import { aggregateHttp, formatHttpReport, serverLabel } from "./lib/http-report.ts";
import { type HttpLoad, type HttpMode, type HttpRunRecord, measureHttpRound, sleep } from "./lib/http-runs.ts";
import { DEFAULT_GROCKETD_CMD, type Running, type HttpServerSpec, parseOnly, setupServers } from "./lib/http-servers.ts";
import { fmtInt } from "./lib/kiss-report.ts";
import { chartNote, writeSvgChart } from "./lib/svg-chart.ts";
import { AB_USAGE, checkoutDir } from "./lib/grocketd-dir.ts";
import { type TlsSetup, type TlsVersion, makeTls } from "./lib/http-tls.ts";

const USAGE = `usage: bun bench/http-compare.ts [--rounds 5] [--duration 4] [--server-warmup 2] [--idle 1] [--connections 64] [--depth 16]
       [--only grocketd,grocketd-fetch,bun,bare-bun,nginx,uws] [--grocketd-cmd CMD] [--grocketd-dir DIR] [--baseline DIR]
       [--nginx PATH] [--uws PATH] [--timeout 2] [--tls] [--tls-version 1.3] [--pin] [--json] [--svg FILE]
  --rounds N        measured rounds (each starts every server fresh, order alternating); 5 or more for a verdict
  --duration S      seconds of wrk per server, mode and round
  --server-warmup S seconds of uncounted wrk load on each fresh server first (JIT warm-up: steady state, not start-up; 0 = cold)
  --depth N         pipelining depth of the pipelined mode (bench/wrk/pipeline.lua)
  --only LIST       servers to run, comma-separated (default all six; nginx and uws are skipped, with a note, when absent);
                    bare-bun is bench/servers/bare-http-responder.ts: no parsing, the floor any Bun.listen server reaches
  --grocketd-cmd    split on spaces; {bun} and {port} (→ 0) are replaced. Default:
                    ${DEFAULT_GROCKETD_CMD}
                    (run in grocketd's checkout: modules/hello.ts is that checkout's)
${AB_USAGE}
  --nginx PATH      the nginx binary (default: nginx on PATH, then /usr/sbin/nginx)
  --uws PATH        the uWebSockets anchor \`uws-hello PORT\` (default: <repo>/../shared/anchors/uws-hello)
  --timeout S       wrk --timeout
  --pin             servers on CPU 1, wrk on CPU 0 (taskset), so neither steals the other's core; unpinned by default
  --json            the report on stderr, one JSON document on stdout
  --svg FILE        also write a chart of requests per server-CPU-second (median, min–max) to FILE
  --tls             HTTPS: grocketd https://, Bun.serve with tls and nginx ssl, one throw-away self-signed RSA
                    certificate for all; wrk offers one suite only (bench/lib/http-tls.ts), each server's negotiated
                    suite is checked; the uWebSockets anchor has no TLS and is skipped; target ≥ 1.0× nginx in both modes
  --tls-version V   1.3 (TLS_AES_128_GCM_SHA256, default) or 1.2 (ECDHE-RSA-AES128-GCM-SHA256)`;

const a = parseArgs(
  process.argv.slice(2),
  {
    rounds: "number",
    duration: "number",
    idle: "number",
    "server-warmup": "number",
    connections: "number",
    depth: "number",
    only: "string",
    "grocketd-cmd": "string",
    "grocketd-dir": "string",
    baseline: "string",
    nginx: "string",
    uws: "string",
    timeout: "number",
    pin: "boolean",
    tls: "boolean",
    "tls-version": "string",
    json: "boolean",
    svg: "string",
  },
  USAGE,
);

const log = (line: string) => process.stderr.write(`${line}\n`);
const fail = (msg: string, code = 2): never => {
  log(`bench:http: ${msg}`);
  process.exit(code);
};

const repo = resolve(import.meta.dir, "..");
const rounds = a.rounds ?? 5;
const depth = a.depth ?? 16;
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a whole number ≥ 1`);
if (!Number.isInteger(depth) || depth < 2) fail(`--depth must be a whole number ≥ 2`);
const load: HttpLoad = {
  connections: a.connections ?? 64,
  durationSec: a.duration ?? 4,
  idleSec: a.idle ?? 1,
  warmupSec: a["server-warmup"] ?? 2,
  wrkThreads: 1,
  timeoutSec: a.timeout ?? 2,
};
if (!Number.isInteger(load.connections) || load.connections < 1) fail(`--connections must be a whole number ≥ 1`);
if (!Number.isInteger(load.durationSec) || load.durationSec < 1) fail(`--duration must be whole seconds ≥ 1 (wrk's -d)`);
const modes: HttpMode[] = [
  { name: "plain", depth: 1 },
  { name: `pipelined ×${depth}`, depth },
];

const wrkPath = Bun.which("wrk");
if (!wrkPath) fail("wrk not found: install it (apt-get install wrk) — this benchmark drives every server with wrk");
load.wrkPath = wrkPath!;

let serverPrefix: string[] = [];
if (a.pin) {
  if (!Bun.which("taskset")) fail("--pin needs taskset (util-linux)");
  if (cpus().length < 2) fail("--pin needs at least 2 CPUs");
  serverPrefix = ["taskset", "-c", "1"];
  load.wrkPrefix = ["taskset", "-c", "0"];
}

let only: ReturnType<typeof parseOnly> = [];
try {
  only = parseOnly(a.only);
} catch (e) {
  fail((e as Error).message);
}
const grocketdDir = checkoutDir(a["grocketd-dir"], repo, "--grocketd-dir");
const baseDir = a.baseline === undefined ? undefined : checkoutDir(a.baseline, repo, "--baseline");
const tlsVersion = a["tls-version"] ?? "1.3";
if (tlsVersion !== "1.3" && tlsVersion !== "1.2") fail(`--tls-version must be 1.3 or 1.2`);
if (a["tls-version"] !== undefined && !a.tls) fail(`--tls-version needs --tls`);
let tls: TlsSetup | undefined;
if (a.tls) {
  try {
    tls = makeTls(tlsVersion as TlsVersion);
  } catch (e) {
    fail((e as Error).message);
  }
  process.on("exit", () => tls?.cleanup());
  load.tls = tls;
}
const { specs, notes } = setupServers({ only, repo, grocketdCmd: a["grocketd-cmd"], grocketdDir, baseDir, nginxBin: a.nginx, uwsBin: a.uws, prefix: serverPrefix, tls });
for (const n of notes) log(n);
if (specs.length === 0) fail("no server to measure");

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = loadavg();
log(`bench:http on ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), Bun ${Bun.version}, load average before: ${loadBefore}`);
log(`wrk: ${wrkPath} -t1 -c${load.connections} -d${load.durationSec}s --latency; pipelined: -s bench/wrk/pipeline.lua -- ${depth}`);
if (tls) log(`TLS: wrk offers ${tls.protocol} ${tls.suite} only (OPENSSL_CONF=${tls.clientEnv.OPENSSL_CONF}); one self-signed RSA-2048 certificate for every server`);
log(a.pin ? "pinned: servers on CPU 1, wrk on CPU 0" : "unpinned: servers and wrk share all CPUs");
for (const s of specs) log(`  ${s.name.padEnd(14)} ${s.describe}`);
if (rounds < 5) log(`note: ${rounds} round(s): fewer than 5, the ratios are only indicative`);

let current: Running | null = null;
process.on("SIGINT", async () => {
  log("interrupted: stopping the server under test");
  await current?.stop();
  process.exit(130);
});

/** The spec with its start recorded in `current`, so SIGINT can stop it. */
function tracked(spec: HttpServerSpec): HttpServerSpec {
  return {
    ...spec,
    start: async () => {
      const r = await spec.start();
      current = r;
      return {
        server: r.server,
        stop: async () => {
          current = null;
          await r.stop();
        },
      };
    },
  };
}

const records: HttpRunRecord[] = [];
const headShown = new Set<string>();
try {
  for (let round = 1; round <= rounds; round++) {
    for (const mode of modes) {
      // Alternate the order each round so drift (neighbours, thermals) does not favour one server.
      const order = round % 2 ? specs : [...specs].reverse();
      for (const spec of order) {
        const r = await measureHttpRound(tracked(spec), mode, load, round);
        records.push(r);
        if (!headShown.has(r.server)) {
          headShown.add(r.server);
          log(`response head of ${r.server} (then a 13-byte body):\n${r.head.split("\r\n").map((l) => `    ${l}`).join("\n")}`);
        }
        log(
          `round ${round}/${rounds} ${mode.name.padEnd(14)} ${r.server.padEnd(14)} ${fmtInt(r.reqPerSec).padStart(10)} req/s ` +
            `${fmtInt(r.reqPerCpuSec).padStart(10)} req/CPU-s  server CPU ${r.serverCpuSec.toFixed(2)} s ` +
            `(${(r.serverCpuShare * 100).toFixed(0)}%), wrk CPU ${(r.clientCpuShare * 100).toFixed(0)}%` +
            (r.non2xx || r.socketErrors ? `  non-2xx ${r.non2xx}, socket errors ${r.socketErrorDetail}` : ""),
        );
        await sleep(200);
      }
    }
  }
} catch (e) {
  // measureHttpRound has stopped the server already (finally).
  fail((e as Error).message);
}

const loadAfter = loadavg();
const results = aggregateHttp(records, modes, !!tls);
const tlsLabel = tls ? `${tls.protocol} ${tls.suite}` : undefined;
const non2xx = records.reduce((s, r) => s + r.non2xx, 0);
const socketErrors = records.reduce((s, r) => s + r.socketErrors, 0);
const empty = records.filter((r) => r.requests === 0);
const answeredWell = non2xx === 0 && empty.length === 0;
const report = [
  formatHttpReport(results, { rounds, connections: load.connections, durationSec: load.durationSec, tls: tlsLabel }),
  "",
  ...notes,
  `answers: ${answeredWell ? "all 2xx" : `${non2xx} non-2xx responses, ${empty.length} runs with no requests`}; ` +
    `socket errors: ${socketErrors}${socketErrors ? " (see the rounds above)" : ""}`,
  `load average before: ${loadBefore}; after: ${loadAfter} (${cpus().length} CPUs; other work on the machine skews absolute numbers)`,
].join("\n");

if (a.svg) {
  writeSvgChart(a.svg, {
    title: `HTTP${tls ? `S (${tlsLabel})` : ""} "Hello, World!", wrk -t1 -c${load.connections} -d${load.durationSec}s`,
    unit: "requests per server-CPU-second",
    groups: results.map((m) => ({ title: m.mode, bars: m.servers.map((s) => ({ label: serverLabel(s.server), value: s.reqPerCpuSec })) })),
    note: chartNote(rounds, cpus().length),
  });
  log(`chart written to ${a.svg}`);
}
if (a.json) {
  log(report);
  const config = { rounds, depth, ...load, pinned: !!a.pin, servers: specs.map((s) => ({ name: s.name, describe: s.describe })) };
  process.stdout.write(`${JSON.stringify({ config, notes, loadBefore, loadAfter, records, results, non2xx, socketErrors, ok: answeredWell })}\n`);
} else {
  process.stdout.write(`${report}\n`);
}
process.exit(answeredWell ? 0 : 1);
