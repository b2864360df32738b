/**
 * @module status/metrics-text
 * `/metrics` in the Prometheus text exposition format 0.0.4: per metric family one `# HELP` and one `# TYPE` line,
 * then its samples. Every I/O-thread metric comes twice, as distinct families so that `sum()` over either never
 * counts twice: `grocketd_<name>{thread="N"}` per thread (plus `process="P"` in multi-process mode) and
 * `grocketd_server_<name>`, the sum over all threads. Names and labels: docs/status.md.
 */
import { VERSION } from "../version.ts";
import { HANDLER_FAMILIES, IO_FAMILIES, type Family } from "../stats/stat-fields.ts";
import type { ThreadStats } from "../stats/stats-registry.ts";
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

  family(name: string, kind: "counter" | "gauge", help: string, samples: Array<[Record<string, string | number>, number]>): void {
    if (samples.length === 0) return;
    const full = PREFIX + name;
    this.out.push(`# HELP ${full} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${full} ${kind}`);
    for (const [labels, v] of samples) this.out.push(`${full}${labelText(labels)} ${num(v)}`);
  }

  text(): string {
    return this.out.join("\n") + "\n";
  }
}

function where(t: ThreadStats, key: "thread" | "handler"): Record<string, string | number> {
  return t.process === undefined ? { [key]: t.index } : { process: t.process, [key]: t.index };
}

function perThread(e: Exposition, f: Family, threads: readonly ThreadStats[], key: "thread" | "handler"): void {
  const samples: Array<[Record<string, string | number>, number]> = [];
  for (const t of threads) f.fields.forEach((field, i) => samples.push([{ ...where(t, key), ...(f.labels?.[i] ?? {}) }, t.fields[field] ?? 0]));
  e.family(f.name, f.kind, f.help, samples);
}

export function metricsText(state: StatusState, threads: readonly ThreadStats[], running: { io: number; handler: number }): string {
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
  for (const f of IO_FAMILIES) perThread(e, f, io, "thread");
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
  return e.text();
}
