/**
 * @module status/metrics-text
 * `/metrics` in the Prometheus text exposition format 0.0.4: per metric family one `# HELP` and one `# TYPE` line,
 * then its samples. Every I/O-thread metric comes twice, as distinct families so that `sum()` over either never
 * counts twice: `grocketd_<name>{thread="N"}` per thread (plus `process="P"` in multi-process mode) and
 * `grocketd_server_<name>`, the sum over all threads. The request-duration histogram comes once, summed over threads
 * and processes (per thread it would multiply its 16 series per listener and class by the thread count), and the
 * `process_*` families describe the processes (stats/process-sample.ts): the master alone, without labels, when it
 * is the only process; with child processes one series per process, `process="master"` or the child's index, and
 * `pid` (during a reload two children share an index). Names and labels: docs/status.md.
 */
import { VERSION } from "../version.ts";
import { BUCKETS, CLASS_NAMES, CLASSES, DURATION_BOUNDS_S, SERIES_F64 } from "../stats/duration-histogram.ts";
import { HANDLER_FAMILIES, IO_FAMILIES, MAIN_FAMILIES, type Family } from "../stats/stat-fields.ts";
import { sampleProcess, type ProcessSample } from "../stats/process-sample.ts";
import type { ChildProcessSample, ThreadStats } from "../stats/stats-registry.ts";
import { sumFields, sumModules, type StatusState } from "./status-report.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const PREFIX = "grocketd_";

/** Label values escape backslash, double quote and line feed (exposition format). */
function labelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

function labelText(labels: Record<string, string | number>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${labelValue(String(v))}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Collects families and their samples, each family's HELP and TYPE once, before its samples. */
class Exposition {
  private readonly out: string[] = [];

  family(name: string, kind: "counter" | "gauge", help: string, samples: Array<[Record<string, string | number>, number]>, prefix = PREFIX): void {
    if (samples.length === 0) return;
    const full = prefix + name;
    this.head(full, kind, help);
    for (const [labels, v] of samples) this.out.push(`${full}${labelText(labels)} ${num(v)}`);
  }

  /** A histogram family: per series its cumulative `_bucket{le}` counts, `_sum` and `_count`. */
  histogram(name: string, help: string, series: Array<{ labels: Record<string, string>; buckets: number[]; sum: number }>): void {
    if (series.length === 0) return;
    const full = PREFIX + name;
    this.head(full, "histogram", help);
    for (const s of series) {
      let acc = 0;
      for (let b = 0; b < s.buckets.length; b++) {
        acc += s.buckets[b]!;
        const le = b < DURATION_BOUNDS_S.length ? String(DURATION_BOUNDS_S[b]) : "+Inf";
        this.out.push(`${full}_bucket${labelText({ ...s.labels, le })} ${num(acc)}`);
      }
      this.out.push(`${full}_sum${labelText(s.labels)} ${num(s.sum)}`, `${full}_count${labelText(s.labels)} ${num(acc)}`);
    }
  }

  private head(full: string, kind: string, help: string): void {
    this.out.push(`# HELP ${full} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${full} ${kind}`);
  }

  text(): string {
    return this.out.join("\n") + "\n";
  }
}

function where(t: ThreadStats, key: "thread" | "handler"): Record<string, string | number> {
  const at = t.role === "main" ? "main" : t.index;
  return t.process === undefined ? { [key]: at } : { process: t.process, [key]: at };
}

function perThread(e: Exposition, f: Family, threads: readonly ThreadStats[], key: "thread" | "handler"): void {
  const samples: Array<[Record<string, string | number>, number]> = [];
  for (const t of threads) f.fields.forEach((field, i) => samples.push([{ ...where(t, key), ...(f.labels?.[i] ?? {}) }, t.fields[field] ?? 0]));
  e.family(f.name, f.kind, f.help, samples);
}

/** Duration series summed over every thread (and process), per listener and status class, the empty ones left out. */
function durationSeries(threads: readonly ThreadStats[]): Array<{ labels: Record<string, string>; buckets: number[]; sum: number }> {
  const byListener = new Map<string, number[]>();
  for (const t of threads) {
    for (const [url, h] of Object.entries(t.durations ?? {})) {
      const acc = byListener.get(url) ?? new Array<number>(h.length).fill(0);
      for (let i = 0; i < h.length; i++) acc[i] = acc[i]! + h[i]!;
      byListener.set(url, acc);
    }
  }
  const out: Array<{ labels: Record<string, string>; buckets: number[]; sum: number }> = [];
  for (const [listener, h] of [...byListener].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    for (let c = 0; c < CLASSES; c++) {
      const s = c * SERIES_F64;
      const buckets = h.slice(s, s + BUCKETS);
      if (buckets.every((n) => n === 0)) continue;
      out.push({ labels: { listener, class: CLASS_NAMES[c]! }, buckets, sum: h[s + BUCKETS]! / 1000 });
    }
  }
  return out;
}

/**
 * The standard process_* metrics (no grocketd_ prefix: dashboards look for these names), for the master and each
 * live child process (their samples are at most stats-push.ts's PUSH_MS old).
 */
function processFamilies(e: Exposition, children: readonly ChildProcessSample[]): void {
  const master = sampleProcess();
  const all: Array<[Record<string, string | number>, ProcessSample]> = [[children.length === 0 ? {} : { process: "master", pid: master.pid }, master]];
  for (const c of children) all.push([{ process: c.index, pid: c.pid }, c]);
  const fam = (name: string, kind: "counter" | "gauge", help: string, v: (p: ProcessSample) => number | null) => {
    const samples: Array<[Record<string, string | number>, number]> = [];
    for (const [labels, p] of all) {
      const x = v(p);
      if (x !== null) samples.push([labels, x]);
    }
    e.family(name, kind, help, samples, "");
  };
  fam("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", (p) => p.residentBytes);
  fam("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", (p) => p.cpuSeconds);
  fam("process_open_fds", "gauge", "Number of open file descriptors.", (p) => p.openFds);
  fam("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", (p) => p.startTimeSeconds);
}

export function metricsText(state: StatusState, threads: readonly ThreadStats[], running: { io: number; handler: number }, children: readonly ChildProcessSample[] = []): string {
  const e = new Exposition();
  const now = Date.now();
  e.family("info", "gauge", "grocketd build information (always 1).", [[{ version: VERSION }, 1]]);
  e.family("start_time_seconds", "gauge", "When the status listener started (Unix time, seconds).", [[{}, state.startedAt / 1000]]);
  e.family("uptime_seconds", "gauge", "Seconds since the status listener started.", [[{}, (now - state.startedAt) / 1000]]);
  e.family("ready", "gauge", "1 when every thread listens and the server is not draining (as /readyz).", [[{}, state.phase === "ready" ? 1 : 0]]);
  e.family("generation", "gauge", "The serving generation (live reload starts the next).", [[{}, state.generation]]);
  e.family("processes", "gauge", "Serving processes (server.processes).", [[{}, state.processes]]);
  e.family("threads", "gauge", "Threads running, by role.", [[{ role: "io" }, running.io], [{ role: "handler" }, running.handler]]);

  const io = threads.filter((t) => t.role === "io");
  const handlers = threads.filter((t) => t.role === "handler");
  const sums = sumFields(threads, "io");
  // A process's main thread (topic relays) appears as thread="main" in the families it counts.
  const withMain = threads.filter((t) => t.role === "io" || t.role === "main");
  for (const f of IO_FAMILIES) perThread(e, f, MAIN_FAMILIES.has(f.name) ? withMain : io, "thread");
  for (const f of IO_FAMILIES) {
    e.family(`server_${f.name}`, f.kind, `${f.help} Sum over all I/O threads.`, f.fields.map((field, i) => [f.labels?.[i] ?? {}, sums[field] ?? 0]));
  }
  for (const f of HANDLER_FAMILIES) perThread(e, f, handlers, "handler");

  // Module counters (ctx.grocketd.counter(name)): per thread and summed.
  const mod: Array<[Record<string, string | number>, number]> = [];
  for (const t of threads) {
    for (const [key, v] of Object.entries(t.modules)) {
      const tab = key.indexOf("\t");
      const labels = { module: key.slice(0, tab), counter: key.slice(tab + 1), role: t.role, ...where(t, "thread") };
      mod.push([labels, v]);
    }
  }
  e.family("module_counter_total", "counter", "Module counters (ctx.grocketd.counter(name).add(n)), per thread.", mod);
  const sumsByModule = Object.entries(sumModules(threads)).map(([key, v]): [Record<string, string>, number] => {
    const tab = key.indexOf("\t");
    return [{ module: key.slice(0, tab), counter: key.slice(tab + 1) }, v];
  });
  e.family("server_module_counter_total", "counter", "Module counters summed over all threads.", sumsByModule);
  e.histogram(
    "http_request_duration_seconds",
    "HTTP request duration, from the read that began the request to the end of its response, by listener and status class; summed over all threads.",
    durationSeries(threads),
  );
  processFamilies(e, children);
  return e.text();
}
