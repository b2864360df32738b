// Human-readable text for a UDP client summary.

import { fmtInt, fmtUs } from "./kiss-report.ts";
import type { UdpSummary } from "./udp-kiss-client.ts";

export function formatUdpSummary(s: UdpSummary): string {
  const l = s.latencyUs;
  const lines = [
    `udp kiss client → ${s.host}:${s.port}: ${s.sockets} socket(s), window ${s.window}, ${s.size}-byte datagrams, ${s.elapsedSec.toFixed(2)} s`,
    `  ${fmtInt(s.datagramsPerSec)} dgram/s  sent ${fmtInt(s.sent)}  echoed ${fmtInt(s.received)}  lost ${fmtInt(s.lost)} ` +
      `(${(s.lossRate * 100).toFixed(3)}%)  late ${s.late}  mismatches ${s.mismatches}  refused sends ${s.sendRefused}  errors ${s.errors}`,
    `  latency p50 ${fmtUs(l.p50)} p90 ${fmtUs(l.p90)} p99 ${fmtUs(l.p99)} max ${fmtUs(l.max)}`,
  ];
  for (const f of s.failures) lines.push(`  ${f}`);
  lines.push(s.ok ? "OK" : "FAILED");
  return lines.join("\n");
}
