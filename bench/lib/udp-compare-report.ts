// Medians over the UDP comparison rounds, per-round ratios subject/anchor, the target verdict, and the text table.

import { fmtInt, fmtUs } from "./kiss-report.ts";
import { median, spread, type Spread } from "./stats.ts";
import type { UdpRunRecord } from "./udp-compare-runs.ts";

export interface UdpServerAggregate {
  server: string;
  runs: number;
  dgramPerSec: Spread;
  dgramPerCpuSec: Spread;
  cpuUtilisation: number;
  latencyP50Us: number;
  latencyP99Us: number;
  sent: number;
  lost: number;
  late: number;
  mismatches: number;
  errors: number;
}

export interface UdpRatio {
  subject: string;
  /** Per-round subject/anchor ratios of datagrams per second and per server-CPU-second. */
  dgramPerSec: Spread;
  dgramPerCpuSec: Spread;
}

export interface UdpCompareResult {
  servers: UdpServerAggregate[];
  ratios: UdpRatio[];
  target: number;
  /** The subject's median datagram-rate ratio reaches the target and it lost nothing; null without both servers. */
  met: boolean | null;
}

export const UDP_TARGET = 0.8;

export function aggregateUdp(records: UdpRunRecord[], anchor: string, subject: string): UdpCompareResult {
  const names = [...new Set(records.map((r) => r.server))];
  const servers = names.map((server): UdpServerAggregate => {
    const rs = records.filter((r) => r.server === server);
    const total = (f: (r: UdpRunRecord) => number) => rs.reduce((s, r) => s + f(r), 0);
    return {
      server,
      runs: rs.length,
      dgramPerSec: spread(rs.map((r) => r.dgramPerSec)),
      dgramPerCpuSec: spread(rs.map((r) => r.dgramPerCpuSec)),
      cpuUtilisation: median(rs.map((r) => (r.elapsedSec ? r.serverCpuSec / r.elapsedSec : 0))),
      latencyP50Us: median(rs.map((r) => r.latencyP50Us)),
      latencyP99Us: median(rs.map((r) => r.latencyP99Us)),
      sent: total((r) => r.sent),
      lost: total((r) => r.lost),
      late: total((r) => r.late),
      mismatches: total((r) => r.mismatches),
      errors: total((r) => r.errors),
    };
  });
  const ratios: UdpRatio[] = [];
  for (const other of names.filter((n) => n !== anchor)) {
    const rps: number[] = [];
    const cpu: number[] = [];
    for (const a of records.filter((r) => r.server === anchor)) {
      const b = records.find((r) => r.server === other && r.round === a.round);
      if (!b || !a.dgramPerSec || !a.dgramPerCpuSec) continue;
      rps.push(b.dgramPerSec / a.dgramPerSec);
      cpu.push(b.dgramPerCpuSec / a.dgramPerCpuSec);
    }
    if (rps.length) ratios.push({ subject: other, dgramPerSec: spread(rps), dgramPerCpuSec: spread(cpu) });
  }
  const mine = ratios.find((r) => r.subject === subject);
  const subj = servers.find((s) => s.server === subject);
  return {
    servers,
    ratios,
    target: UDP_TARGET,
    met: mine && subj ? mine.dgramPerSec.median >= UDP_TARGET && subj.lost === 0 : null,
  };
}

const range = (s: Spread, f: (n: number) => string) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const r2 = (n: number) => n.toFixed(2);

export function formatUdpReport(res: UdpCompareResult, cfg: { rounds: number; window: number; size: number; sockets: number }, anchor: string, subject: string): string {
  const out: string[] = [];
  out.push(`UDP kiss echo, ${cfg.size}-byte datagrams, window ${cfg.window} x ${cfg.sockets} socket(s), ${cfg.rounds} rounds; medians (min–max)`);
  out.push(`  ${"server".padEnd(17)} ${"dgram/s".padEnd(30)} ${"dgram per server-CPU-s".padEnd(30)} ${"CPU".padStart(5)} ${"p50".padStart(7)} ${"p99".padStart(7)}  loss`);
  for (const s of res.servers) {
    const loss = s.sent ? `${fmtInt(s.lost)} of ${fmtInt(s.sent)} (${((s.lost / s.sent) * 100).toFixed(3)}%)` : "-";
    out.push(
      `  ${s.server.padEnd(17)} ${range(s.dgramPerSec, fmtInt).padEnd(30)} ${range(s.dgramPerCpuSec, fmtInt).padEnd(30)} ` +
        `${(s.cpuUtilisation * 100).toFixed(0).padStart(4)}% ${fmtUs(s.latencyP50Us).padStart(7)} ${fmtUs(s.latencyP99Us).padStart(7)}  ` +
        `${loss}, late ${s.late}, mismatches ${s.mismatches}, errors ${s.errors}`,
    );
  }
  for (const r of res.ratios) {
    const verdict = r.subject === subject && res.met !== null ? ` → target ≥ ${r2(res.target)} with no loss: ${res.met ? "MET" : "NOT MET"}` : "";
    out.push(`  ratio ${r.subject}/${anchor}: dgram/s ${range(r.dgramPerSec, r2)}, per server-CPU-s ${range(r.dgramPerCpuSec, r2)}${verdict}`);
  }
  return out.join("\n");
}
