// Aggregates the HTTP comparison rounds: per mode and server the median (min–max) of req/s and req per server-CPU-s,
// the per-round ratios grocketd/nginx, grocketd/Bun.serve and grocketd/uWebSockets, the targets against nginx, and the text report.

import type { HttpMode, HttpRunRecord } from "./http-runs.ts";
import { fmtInt, fmtUs } from "./kiss-report.ts";
import { type Spread, median, spread } from "./stats.ts";

export interface HttpServerAggregate {
  server: string;
  runs: number;
  reqPerSec: Spread;
  reqPerCpuSec: Spread;
  /** Medians over rounds. */
  serverCpuShare: number;
  clientCpuShare: number;
  userUsPerReq: number;
  latencyP50Us: number | null;
  latencyP99Us: number | null;
  /** Sums over rounds. */
  non2xx: number;
  socketErrors: number;
}

export interface RatioResult {
  subject: string;
  anchor: string;
  /** Per-round ratios of requests per server-CPU-second, and of requests per second. */
  perCpu: Spread | null;
  reqPerSec: Spread | null;
}

export interface TargetResult {
  /** "grocketd/nginx per server-CPU-s ≥ target". */
  target: number;
  ratio: number | null;
  met: boolean | null;
}

export interface ModeResult {
  mode: string;
  depth: number;
  servers: HttpServerAggregate[];
  ratios: RatioResult[];
  target: TargetResult;
}

export const SUBJECT = "grocketd";
export const ANCHORS = ["nginx", "bun", "uws"] as const;
/** The ratios reported, subject/anchor: grocketd against nginx and Bun.serve, and the fetch hook's cost against the
 * http hook and against Bun.serve (the same handler code). */
export const RATIO_PAIRS: ReadonlyArray<readonly [string, string]> = [
  [SUBJECT, "nginx"],
  [SUBJECT, "bun"],
  [SUBJECT, "uws"],
  [SUBJECT, "bare-bun"],
  ["bare-bun", "uws"],
  ["grocketd-fetch", SUBJECT],
  ["grocketd-fetch", "bun"],
  [SUBJECT, "grocketd-base"],
];

/** grocketd / nginx per server-CPU-second: ≥ 1.0 plain, ≥ 8 pipelined ×16 (the targets of README "Benchmarks");
 * over TLS ≥ 1.0 in both modes (issue 17: the cipher's work is shared, so pipelining gains less). */
export function targetFor(depth: number, tls = false): number {
  return depth === 1 || tls ? 1.0 : 8.0;
}

/** subject/anchor of `key`, one value per round in which both ran (and the anchor's value is not 0). */
export function roundRatios(records: readonly HttpRunRecord[], subject: string, anchor: string, key: "reqPerCpuSec" | "reqPerSec"): number[] {
  const out: number[] = [];
  for (const a of records) {
    if (a.server !== anchor || !a[key]) continue;
    const s = records.find((r) => r.server === subject && r.round === a.round && r.depth === a.depth);
    if (s) out.push(s[key] / a[key]);
  }
  return out;
}

const orNull = (xs: number[]): Spread | null => (xs.length ? spread(xs) : null);

function medianOrNull(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
}

export function aggregateServer(server: string, rs: readonly HttpRunRecord[]): HttpServerAggregate {
  return {
    server,
    runs: rs.length,
    reqPerSec: spread(rs.map((r) => r.reqPerSec)),
    reqPerCpuSec: spread(rs.map((r) => r.reqPerCpuSec)),
    serverCpuShare: median(rs.map((r) => r.serverCpuShare)),
    clientCpuShare: median(rs.map((r) => r.clientCpuShare)),
    userUsPerReq: median(rs.map((r) => (r.requests ? (r.serverUserSec * 1e6) / r.requests : 0))),
    latencyP50Us: medianOrNull(rs.map((r) => r.latencyP50Us)),
    latencyP99Us: medianOrNull(rs.map((r) => r.latencyP99Us)),
    non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
    socketErrors: rs.reduce((s, r) => s + r.socketErrors, 0),
  };
}

export function aggregateHttp(records: readonly HttpRunRecord[], modes: readonly HttpMode[], tls = false): ModeResult[] {
  return modes.map((mode) => {
    const mine = records.filter((r) => r.depth === mode.depth);
    const names = [...new Set(mine.map((r) => r.server))];
    const ratios: RatioResult[] = [];
    for (const [subject, anchor] of RATIO_PAIRS) {
      if (!names.includes(anchor) || !names.includes(subject)) continue;
      ratios.push({
        subject,
        anchor,
        perCpu: orNull(roundRatios(mine, subject, anchor, "reqPerCpuSec")),
        reqPerSec: orNull(roundRatios(mine, subject, anchor, "reqPerSec")),
      });
    }
    const vsNginx = ratios.find((r) => r.subject === SUBJECT && r.anchor === "nginx")?.perCpu ?? null;
    const target = targetFor(mode.depth, tls);
    return {
      mode: mode.name,
      depth: mode.depth,
      servers: names.map((n) => aggregateServer(n, mine.filter((r) => r.server === n))),
      ratios,
      target: { target, ratio: vsNginx ? vsNginx.median : null, met: vsNginx ? vsNginx.median >= target : null },
    };
  });
}

const range = (s: Spread, f: (n: number) => string) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const ratioFmt = (n: number) => n.toFixed(2);
const us = (n: number | null) => (n === null ? "-" : fmtUs(n));
const LABEL: Record<string, string> = { grocketd: "grocketd", "grocketd-base": "grocketd-base", "grocketd-fetch": "grocketd fetch", bun: "Bun.serve", nginx: "nginx", uws: "uWebSockets" };
/** The name a server has in the report and the chart. */
export const serverLabel = (server: string): string => LABEL[server] ?? server;

export interface ReportMeta {
  rounds: number;
  connections: number;
  durationSec: number;
  /** --tls: "TLSv1.3 TLS_AES_128_GCM_SHA256" (what every server negotiated). */
  tls?: string;
}

export function formatHttpReport(results: readonly ModeResult[], meta: ReportMeta): string {
  const out: string[] = [];
  out.push(
    `HTTP${meta.tls ? `S (${meta.tls})` : ""} "Hello, World!", wrk -t1 -c${meta.connections} -d${meta.durationSec}s, ${meta.rounds} rounds; ` +
      `median (min–max) over rounds; server CPU = its whole process tree`,
  );
  for (const m of results) {
    out.push("", m.mode);
    out.push(
      `  ${"server".padEnd(14)} ${"req/s".padEnd(30)} ${"req per server-CPU-s".padEnd(30)} ${"user µs/req".padStart(11)} ` +
        `${"srv CPU".padStart(7)} ${"wrk CPU".padStart(7)} ${"p50".padStart(7)} ${"p99".padStart(7)}  errors`,
    );
    for (const s of m.servers) {
      out.push(
        `  ${(LABEL[s.server] ?? s.server).padEnd(14)} ${range(s.reqPerSec, fmtInt).padEnd(30)} ${range(s.reqPerCpuSec, fmtInt).padEnd(30)} ` +
          `${s.userUsPerReq.toFixed(3).padStart(11)} ${`${(s.serverCpuShare * 100).toFixed(0)}%`.padStart(7)} ` +
          `${`${(s.clientCpuShare * 100).toFixed(0)}%`.padStart(7)} ${us(s.latencyP50Us).padStart(7)} ${us(s.latencyP99Us).padStart(7)}  ` +
          `${s.non2xx} non-2xx, ${s.socketErrors} socket errors`,
      );
    }
    for (const r of m.ratios) {
      if (!r.perCpu || !r.reqPerSec) continue;
      out.push(
        `  ratio ${LABEL[r.subject] ?? r.subject}/${LABEL[r.anchor] ?? r.anchor}: per server-CPU-s ${range(r.perCpu, ratioFmt)}, req/s ${range(r.reqPerSec, ratioFmt)}`,
      );
    }
    if (m.depth > 1) out.push(`  (latency here is per batch of ${m.depth}: wrk times a pipelined write until its last response)`);
    const t = m.target;
    out.push(
      `  target grocketd/nginx per server-CPU-s ≥ ${t.target.toFixed(1)}: ` +
        (t.met === null ? "not evaluated (needs grocketd and nginx)" : `${t.ratio!.toFixed(2)} → ${t.met ? "MET" : "NOT MET"}`),
    );
  }
  return out.join("\n");
}
