// Running wrk 4.x (plain, or pipelined with bench/wrk/pipeline.lua) and parsing its text output into numbers:
// requests, Requests/sec, latency (with --latency: the distribution), socket errors and non-2xx/3xx responses.

import { resolve } from "node:path";

export interface WrkLatency {
  avgUs: number;
  stdevUs: number;
  maxUs: number;
  /** Only with `--latency`; null otherwise. */
  p50Us: number | null;
  p75Us: number | null;
  p90Us: number | null;
  p99Us: number | null;
}

export interface WrkSocketErrors {
  connect: number;
  read: number;
  write: number;
  timeout: number;
}

export interface WrkResult {
  threads: number;
  connections: number;
  /** Completed responses (with pipelining, single responses, not batches). */
  requests: number;
  durationSec: number;
  bytesRead: number;
  reqPerSec: number;
  transferPerSec: number;
  latency: WrkLatency;
  socketErrors: WrkSocketErrors;
  /** Total of the four socket error counters. */
  socketErrorsTotal: number;
  /** "Non-2xx or 3xx responses" (0 when wrk printed no such line). */
  non2xx: number;
}

export const PIPELINE_LUA = resolve(import.meta.dir, "../wrk/pipeline.lua");

const TIME_US: Record<string, number> = { us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 };
const METRIC: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
const BINARY: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/** "538.96us", "1.14ms", "2.09s", "1.00m" → microseconds. */
export function parseWrkTime(s: string): number {
  const m = /^(-?[\d.]+)(us|ms|s|m|h)$/.exec(s.trim());
  if (!m) throw new Error(`wrk output: not a time: ${JSON.stringify(s)}`);
  return Number(m[1]) * TIME_US[m[2]!]!;
}

/** "4.54MB", "0.00B", "812.00KB" → bytes (wrk uses powers of 1024). */
export function parseWrkBytes(s: string): number {
  const m = /^([\d.]+)([KMGTP]?)B$/.exec(s.trim());
  if (!m) throw new Error(`wrk output: not a byte count: ${JSON.stringify(s)}`);
  return Number(m[1]) * BINARY[m[2]!]!;
}

/** "27.57k", "0.00" → a number (powers of 1000). */
export function parseWrkMetric(s: string): number {
  const m = /^([\d.]+)([kMGT]?)$/.exec(s.trim());
  if (!m) throw new Error(`wrk output: not a number: ${JSON.stringify(s)}`);
  return Number(m[1]) * METRIC[m[2]!]!;
}

function need(text: string, re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(text);
  if (!m) throw new Error(`wrk output has no ${what} line:\n${text}`);
  return m;
}

/** Parses wrk 4.x's report. Throws with the whole text when a line every report has is missing. */
export function parseWrkOutput(text: string): WrkResult {
  const tc = need(text, /^\s*(\d+) threads and (\d+) connections/m, "threads and connections");
  const lat = need(text, /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+\s*$/m, "Latency");
  const total = need(text, /^\s*(\d+) requests in (\S+), (\S+) read/m, "requests in");
  const rps = need(text, /^Requests\/sec:\s+(\S+)/m, "Requests/sec");
  const tps = /^Transfer\/sec:\s+(\S+)/m.exec(text);
  // With pipeline.lua wrk records one latency per batch and may print 0.00us for a high percentile: read that as
  // "unknown" (null), not as zero.
  const pct = (p: number): number | null => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, "m").exec(text);
    const v = m ? parseWrkTime(m[1]!) : 0;
    return v > 0 ? v : null;
  };
  const hasDistribution = /^\s*Latency Distribution/m.test(text);
  const se = /^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/m.exec(text);
  const socketErrors: WrkSocketErrors = se
    ? { connect: Number(se[1]), read: Number(se[2]), write: Number(se[3]), timeout: Number(se[4]) }
    : { connect: 0, read: 0, write: 0, timeout: 0 };
  const non = /^\s*Non-2xx or 3xx responses: (\d+)/m.exec(text);
  return {
    threads: Number(tc[1]),
    connections: Number(tc[2]),
    requests: Number(total[1]),
    durationSec: parseWrkTime(total[2]!) / 1e6,
    bytesRead: parseWrkBytes(total[3]!),
    reqPerSec: Number(rps[1]),
    transferPerSec: tps ? parseWrkBytes(tps[1]!) : 0,
    latency: {
      avgUs: parseWrkTime(lat[1]!),
      stdevUs: parseWrkTime(lat[2]!),
      maxUs: parseWrkTime(lat[3]!),
      p50Us: hasDistribution ? pct(50) : null,
      p75Us: hasDistribution ? pct(75) : null,
      p90Us: hasDistribution ? pct(90) : null,
      p99Us: hasDistribution ? pct(99) : null,
    },
    socketErrors,
    socketErrorsTotal: socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout,
    non2xx: non ? Number(non[1]) : 0,
  };
}

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationSec: number;
  /** 1 = plain; more = pipelined with bench/wrk/pipeline.lua. */
  depth: number;
  /** wrk's own --timeout (a request slower than this counts as a timeout error). */
  timeoutSec?: number;
  /** Command prefix, e.g. ["taskset", "-c", "0"]. */
  prefix?: string[];
  wrkPath?: string;
  /** wrk's environment (bench:http --tls: OPENSSL_CONF pins the suite); default this process's. */
  env?: Record<string, string | undefined>;
}

export interface WrkRun {
  command: string[];
  result: WrkResult;
  /** wrk's own CPU time (user + system), so a reader can tell whether the client was the bottleneck. */
  clientCpuSec: number;
  output: string;
}

/** The wrk command line for `o`. */
export function wrkCommand(o: WrkOptions): string[] {
  const cmd = [
    ...(o.prefix ?? []),
    o.wrkPath ?? "wrk",
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.durationSec}s`,
    `--timeout`,
    `${o.timeoutSec ?? 2}s`,
    "--latency",
  ];
  if (o.depth > 1) cmd.push("-s", PIPELINE_LUA, o.url, "--", String(o.depth));
  else cmd.push(o.url);
  return cmd;
}

/** Runs wrk once; killed if it overruns its duration by 15 s. Throws when wrk fails or prints no report. */
export async function runWrk(o: WrkOptions): Promise<WrkRun> {
  const command = wrkCommand(o);
  const proc = Bun.spawn(command, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: o.env ?? process.env });
  const killer = setTimeout(() => proc.kill("SIGKILL"), (o.durationSec + 15) * 1000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(killer);
  const output = out + err;
  if (code !== 0) throw new Error(`${command.join(" ")} exited with ${proc.signalCode ?? code}:\n${output}`);
  const usage = proc.resourceUsage();
  const clientCpuSec = usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : NaN;
  return { command, result: parseWrkOutput(out), clientCpuSec, output };
}
