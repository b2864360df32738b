// Aggregates the comparison rounds into medians, per-round ratios grocketd/bare and the target verdicts, and prints them.

import type { RunRecord } from "./compare-runs.ts";
import { fmtInt, fmtUs } from "./kiss-report.ts";
import { type Spread, median, spread } from "./stats.ts";

export interface ServerAggregate {
  server: string;
  runs: number;
  reqPerSec: Spread;
  reqPerCpuSec: Spread;
  /** Server user CPU per request, µs (median). */
  userUsPerReq: number;
  cpuUtilisation: number;
  latencyP50Us: number;
  latencyP99Us: number;
  mismatches: number;
  failedConnections: number;
}

export interface PipelineResult {
  pipeline: number;
  servers: ServerAggregate[];
  /** Per-round grocketd/bare ratios of requests per server-CPU-second (and of plain requests per second). */
  ratio: Spread | null;
  ratioReqPerSec: Spread | null;
  target: number;
  met: boolean | null;
}

export function targetFor(pipeline: number): number {
  return pipeline === 1 ? 0.95 : 0.9;
}

export function aggregate(records: RunRecord[], pipelines: number[], anchor: string, subject: string): PipelineResult[] {
  return pipelines.map((pipeline) => {
    const mine = records.filter((r) => r.pipeline === pipeline);
    const names = [...new Set(mine.map((r) => r.server))];
    const servers = names.map((server): ServerAggregate => {
      const rs = mine.filter((r) => r.server === server);
      return {
        server,
        runs: rs.length,
        reqPerSec: spread(rs.map((r) => r.reqPerSec)),
        reqPerCpuSec: spread(rs.map((r) => r.reqPerCpuSec)),
        userUsPerReq: median(rs.map((r) => (r.requests ? (r.serverUserSec * 1e6) / r.requests : 0))),
        cpuUtilisation: median(rs.map((r) => (r.elapsedSec ? r.serverCpuSec / r.elapsedSec : 0))),
        latencyP50Us: median(rs.map((r) => r.latencyP50Us)),
        latencyP99Us: median(rs.map((r) => r.latencyP99Us)),
        mismatches: rs.reduce((s, r) => s + r.mismatches, 0),
        failedConnections: rs.reduce((s, r) => s + r.failedConnections, 0),
      };
    });
    const ratios: number[] = [];
    const ratiosRps: number[] = [];
    for (const a of mine.filter((r) => r.server === anchor)) {
      const b = mine.find((r) => r.server === subject && r.round === a.round);
      if (!b || !a.reqPerCpuSec || !a.reqPerSec) continue;
      ratios.push(b.reqPerCpuSec / a.reqPerCpuSec);
      ratiosRps.push(b.reqPerSec / a.reqPerSec);
    }
    const target = targetFor(pipeline);
    const ratio = ratios.length ? spread(ratios) : null;
    return {
      pipeline,
      servers,
      ratio,
      ratioReqPerSec: ratiosRps.length ? spread(ratiosRps) : null,
      target,
      met: ratio ? ratio.median >= target : null,
    };
  });
}

const range = (s: Spread, f: (n: number) => string) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const ratioFmt = (n: number) => n.toFixed(2);

export function formatReport(results: PipelineResult[], rounds: number, connections: number, subject: string, anchor: string): string {
  const out: string[] = [];
  out.push(`TCP kiss echo, ${connections} connections, ${rounds} rounds; medians (min–max) over rounds`);
  for (const p of results) {
    out.push("");
    out.push(`pipeline ${p.pipeline}`);
    out.push(
      `  ${"server".padEnd(14)} ${"req/s".padEnd(34)} ${"req per server-CPU-s".padEnd(34)} ${"user µs/req".padStart(11)} ${"CPU".padStart(5)} ${"p50".padStart(7)} ${"p99".padStart(7)}  errors`,
    );
    for (const s of p.servers) {
      out.push(
        `  ${s.server.padEnd(14)} ${range(s.reqPerSec, fmtInt).padEnd(34)} ${range(s.reqPerCpuSec, fmtInt).padEnd(34)} ` +
          `${s.userUsPerReq.toFixed(3).padStart(11)} ${(s.cpuUtilisation * 100).toFixed(0).padStart(4)}% ${fmtUs(s.latencyP50Us).padStart(7)} ` +
          `${fmtUs(s.latencyP99Us).padStart(7)}  ${s.mismatches} mismatches, ${s.failedConnections} failed conns`,
      );
    }
    if (p.ratio && p.ratioReqPerSec) {
      out.push(
        `  ratio ${subject}/${anchor}: per server-CPU-s ${range(p.ratio, ratioFmt)}, req/s ${range(p.ratioReqPerSec, ratioFmt)}` +
          ` → target ≥ ${p.target.toFixed(2)}: ${p.met ? "MET" : "NOT MET"}`,
      );
    }
  }
  return out.join("\n");
}
