// `bun run bench:startup`: time from spawn to the first answered request, grocketd with
// `--threads 2 --listen http://127.0.0.1:PORT --module modules/hello.ts` against a Bun.serve hello script
// (bench/servers/bun-serve-hello.ts), runs alternating, medians. grocketd runs with GROCKETD_STARTUP_TRACE=1 and the
// report splits its start into phases (bench/lib/startup-phases.ts). `--baseline DIR` adds another checkout of
// grocketd (e.g. a git worktree of an older commit), run in the same alternation, for before/after figures; it runs
// without the trace variable (older versions refuse unknown GROCKETD_ variables), so only its total is reported.
// Each server is stopped by PID after its first answer. Exit 0 when every start answered, 1 otherwise.

import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "./lib/cli-args.ts";
import { PHASES, launchedFrom, parseMarks, phasesOf } from "./lib/startup-phases.ts";
import { median } from "./lib/stats.ts";
import { freePort } from "./servers/nginx-hello.ts";
import { perfWorks, perfWrap } from "./lib/perf-cpu.ts";

const USAGE = `usage: bun bench/startup.ts [--runs 7] [--threads 2] [--baseline DIR] [--bin] [--timeout 10] [--perf] [--no-trace] [--json]
  --runs N        starts of each server (alternating); the medians are reported
  --threads N     grocketd --threads (default 2)
  --baseline DIR  also start the grocketd in DIR (another checkout) the same way, alternating with this one
  --bin           start grocketd through bin/grocketd (the npm command) instead of bun src/grocketd.ts
  --timeout S     give up on a start after S seconds
  --perf          CPU time from perf stat's task-clock (every thread, exact ns, counting stopped at the answer)
                  instead of /proc/PID/stat's 10 ms ticks
  --no-trace      run grocketd without GROCKETD_STARTUP_TRACE too (no phases; its marks cost a little CPU)
  --json          one JSON document on stdout, the report on stderr`;

const a = parseArgs(process.argv.slice(2), { runs: "number", threads: "number", baseline: "string", bin: "boolean", timeout: "number", perf: "boolean", "no-trace": "boolean", json: "boolean" }, USAGE);
const log = (s: string) => process.stderr.write(`${s}\n`);
const repo = resolve(import.meta.dir, "..");
const runs = a.runs ?? 7;
const threads = a.threads ?? 2;
const timeoutMs = (a.timeout ?? 10) * 1000;
if (!Number.isInteger(runs) || runs < 1) {
  log("--runs must be a whole number ≥ 1");
  process.exit(2);
}
if (a.perf && !perfWorks()) {
  log("--perf: `perf stat -e task-clock` does not work here (perf missing, or perf_event_paranoid)");
  process.exit(2);
}
const now = () => performance.timeOrigin + performance.now();
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

interface Subject {
  name: string;
  cmd: (port: number) => string[];
  cwd: string;
  trace: boolean;
}

function grocketd(name: string, dir: string, trace: boolean): Subject {
  return {
    name,
    cwd: dir,
    trace,
    cmd: (port) => [
      ...(a.bin ? [resolve(dir, "bin/grocketd")] : [process.execPath, resolve(dir, "src/grocketd.ts")]),
      "--threads", String(threads), "--listen", `http://127.0.0.1:${port}`, "--module", "modules/hello.ts",
    ],
  };
}

const subjects: Subject[] = [grocketd("grocketd", repo, !a["no-trace"])];
if (a.baseline) subjects.push(grocketd("baseline", resolve(a.baseline), false));
subjects.push({ name: "Bun.serve", cwd: repo, trace: false, cmd: (port) => [process.execPath, resolve(repo, "bench/servers/bun-serve-hello.ts"), "--port", String(port)] });

/** One GET on a fresh connection; true when an HTTP/1.1 200 came back. */
async function answered(port: number): Promise<boolean> {
  return new Promise<boolean>((res) => {
    let got = "";
    const timer = setTimeout(() => res(false), 500);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => void s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
        data: (s, d) => {
          got += d.toString("latin1");
          if (got.includes("\r\n\r\n")) {
            clearTimeout(timer);
            res(got.startsWith("HTTP/1.1 200")); // before end(): end() runs close() at once
            s.end();
          }
        },
        close: () => res(false),
        error: () => res(false),
        connectError: () => res(false),
      },
    }).catch(() => res(false));
  });
}

interface Run {
  name: string;
  run: number;
  totalMs: number;
  /** CPU time (user + system, every thread) the server had used when it answered: less stretched by other load than the wall time. */
  cpuMs: number | null;
  phases: Record<string, number> | null;
  /** How many threads compiled llhttp (the master shares its module with the I/O threads: 1). */
  wasmCompiles: number | null;
  /** What ran: the pre-bundled runtime (dist/bundle/, through src/launch.ts) or the sources. */
  from: "bundle" | "sources" | null;
}

/** utime + stime of a process from /proc (clock ticks of 10 ms on Linux), null elsewhere. */
function cpuMsOf(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // fields 14 and 15 of proc(5), USER_HZ = 100
  } catch {
    return null;
  }
}

async function startOnce(s: Subject, run: number): Promise<Run> {
  const port = freePort();
  const env = { ...process.env };
  if (s.trace) env.GROCKETD_STARTUP_TRACE = "1";
  else delete env.GROCKETD_STARTUP_TRACE;
  const perf = a.perf ? perfWrap(s.cmd(port)) : null;
  const spawnAt = now();
  const proc = Bun.spawn(perf?.cmd ?? s.cmd(port), { cwd: s.cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const errText = new Response(proc.stderr).text();
  const outText = new Response(proc.stdout).text();
  let answerAt = 0;
  let cpuMs: number | null = null;
  try {
    const deadline = spawnAt + timeoutMs;
    while (now() < deadline && proc.exitCode === null) {
      if (await answered(port)) {
        answerAt = now();
        if (perf) await perf.stop();
        else cpuMs = cpuMsOf(proc.pid);
        break;
      }
      await Bun.sleep(2);
    }
  } finally {
    // Under perf the server is perf's child: perf exits (writing its count) when the server does.
    const server = perf?.childOf(proc.pid) ?? null;
    const kill = (sig: "SIGTERM" | "SIGKILL") => (server === null ? proc.kill(sig) : process.kill(server, sig));
    kill("SIGTERM");
    const t = setTimeout(() => kill("SIGKILL"), 3000);
    await proc.exited;
    clearTimeout(t);
    if (perf) {
      if (answerAt !== 0) cpuMs = perf.cpuMs();
      perf.dispose();
    }
  }
  const err = await errText;
  await outText;
  if (answerAt === 0) throw new Error(`${s.name} (${s.cmd(port).join(" ")}) gave no answer within ${timeoutMs} ms; stderr:\n${err.slice(-2000)}`);
  const marks = parseMarks(err);
  return {
    name: s.name,
    run,
    totalMs: answerAt - spawnAt,
    cpuMs,
    phases: s.trace ? phasesOf(marks, spawnAt, answerAt) : null,
    wasmCompiles: s.trace ? marks.filter((m) => m.where === "wasm" && m.phase === "compile-start").length : null,
    from: s.trace ? launchedFrom(marks) : null,
  };
}

const loadBefore = loadavg();
log(`bench:startup on ${cpus().length} CPUs, Bun ${Bun.version}, load average before: ${loadBefore}`);
for (const s of subjects) log(`  ${s.name.padEnd(10)} ${s.cmd(0).join(" ")} (cwd ${s.cwd})`);
const records: Run[] = [];
try {
  for (let run = 1; run <= runs; run++) {
    const order = run % 2 ? subjects : [...subjects].reverse();
    for (const s of order) {
      const r = await startOnce(s, run);
      records.push(r);
      log(`run ${run}/${runs} ${s.name.padEnd(10)} ${r.totalMs.toFixed(1).padStart(8)} ms to the first answer${r.cpuMs === null ? "" : `, ${r.cpuMs.toFixed(1)} ms CPU`}`);
    }
  }
} catch (e) {
  log(`bench:startup: ${(e as Error).message}`);
  process.exit(1);
}
const loadAfter = loadavg();

const out: string[] = [`start-up to the first answered request, ${runs} runs each (alternating), median (min–max) ms`];
const totals: Record<string, number> = {};
for (const s of subjects) {
  const xs = records.filter((r) => r.name === s.name).map((r) => r.totalMs);
  totals[s.name] = median(xs);
  const cpu = records.filter((r) => r.name === s.name && r.cpuMs !== null).map((r) => r.cpuMs!);
  const cpuText = !cpu.length ? "" : a.perf
    ? `; CPU used by then ${median(cpu).toFixed(1)} ms (${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)}, perf task-clock)`
    : `; CPU used by then ${median(cpu).toFixed(0)} ms (${Math.min(...cpu)}–${Math.max(...cpu)}, 10 ms ticks)`;
  out.push(`  ${s.name.padEnd(10)} ${median(xs).toFixed(1).padStart(8)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})${cpuText}`);
}
const traced = records.filter((r) => r.phases !== null);
const phaseMedians: Record<string, number> = {};
if (traced.length > 0) {
  out.push("", `grocketd phases (median ms over ${traced.length} runs; each phase ends where the previous one does):`);
  for (const [name, what] of PHASES) {
    const xs = traced.map((r) => r.phases![name]).filter((x): x is number => x !== undefined);
    if (xs.length === 0) continue;
    phaseMedians[name] = median(xs);
    out.push(`  ${name.padEnd(15)} ${median(xs).toFixed(1).padStart(8)}  ${what}`);
  }
  out.push(`  llhttp compiled ${Math.max(...traced.map((r) => r.wasmCompiles ?? 0))} time(s) per start`);
  const froms = [...new Set(traced.map((r) => r.from))];
  out.push(`  ran from: ${froms.join(", ")}${froms.includes("sources") && a.bin ? " (no fresh dist/bundle/: bun run build:dist)" : ""}`);
}
out.push("", `goal: grocketd ≤ 100 ms with --threads ${threads}: ${totals.grocketd! <= 100 ? "MET" : "NOT MET"} (${totals.grocketd!.toFixed(1)} ms)`);
if (a.baseline) out.push(`before/after: baseline ${totals.baseline!.toFixed(1)} ms → grocketd ${totals.grocketd!.toFixed(1)} ms (${(totals.grocketd! / totals.baseline!).toFixed(2)}×)`);
out.push(`load average before: ${loadBefore}; after: ${loadAfter} (${cpus().length} CPUs; other work on the machine stretches every phase)`);
const report = out.join("\n");
if (a.json) {
  log(report);
  process.stdout.write(`${JSON.stringify({ runs, threads, loadBefore, loadAfter, records, totals, phases: phaseMedians })}\n`);
} else process.stdout.write(`${report}\n`);
