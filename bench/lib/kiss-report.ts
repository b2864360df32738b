// Human-readable text for a kiss-client summary: one line per client thread, one total, then any failures.

import type { KissSummary, ThreadSummary } from "./kiss-client.ts";
import type { LatencyPercentiles } from "./latency-histogram.ts";

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function fmtUs(us: number): string {
  return us >= 10_000 ? `${(us / 1000).toFixed(1)}ms` : `${Math.round(us)}µs`;
}

function latency(l: LatencyPercentiles): string {
  return `p50 ${fmtUs(l.p50)} p90 ${fmtUs(l.p90)} p99 ${fmtUs(l.p99)} max ${fmtUs(l.max)}`;
}

function row(label: string, t: Pick<ThreadSummary, "connections" | "requests" | "reqPerSec" | "bytesSent" | "bytesReceived" | "mismatches" | "failedConnections" | "latencyUs">): string {
  return (
    `${label.padEnd(9)} conns ${String(t.connections).padStart(4)}  req ${fmtInt(t.requests).padStart(12)}  ` +
    `${fmtInt(t.reqPerSec).padStart(10)} req/s  sent ${fmtInt(t.bytesSent)} B  recv ${fmtInt(t.bytesReceived)} B  ` +
    `mismatches ${t.mismatches}  failed ${t.failedConnections}  ${latency(t.latencyUs)}`
  );
}

export function formatKissSummary(s: KissSummary): string {
  const lines: string[] = [];
  lines.push(
    `kiss client → ${s.host}:${s.port}: ${s.connections} connections, pipeline ${s.pipeline}, ${s.threads} thread(s), ${s.elapsedSec.toFixed(2)} s`,
  );
  if (s.perThread.length > 1) for (const t of s.perThread) lines.push(row(`thread ${t.thread}`, t));
  lines.push(row("total", s));
  const kinds = Object.entries(s.failureCounts).filter(([, n]) => n > 0);
  if (kinds.length) lines.push(`failures: ${kinds.map(([k, n]) => `${k} ${n}`).join(", ")}`);
  for (const f of s.failures) lines.push(`  ${f.kind}: ${f.message}`);
  if (s.requestLimit > 0 && s.durationSec <= 0 && s.requests !== s.requestLimit) {
    lines.push(`expected ${s.requestLimit} requests, completed ${s.requests}`);
  }
  lines.push(s.ok ? "OK" : "FAILED");
  return lines.join("\n");
}
