// One measured round of the UDP comparison: a fresh server, an idle pause, its CPU time (/proc/PID/stat, whole
// process tree) around a windowed UDP kiss load.

import { startServer } from "./child-server.ts";
import { cpuSecondsBetween, readTreeCpuTicks } from "./proc-stat.ts";
import { runUdpClient } from "./udp-kiss-client.ts";

export interface UdpServerSpec {
  /** Label in the report: "bare-dgram", "grocketd", ... */
  name: string;
  cmd: string[];
  /** Working directory of the server (default: the one measureUdpRound is given), e.g. another checkout. */
  cwd?: string;
}

export interface UdpLoadSpec {
  window: number;
  size: number;
  sockets: number;
  durationSec: number;
  idleSec: number;
  /** Seconds of uncounted load first, for JIT warm-up (bench/lib/http-runs.ts says why); 0 or absent = cold. */
  warmupSec?: number;
  timeoutMs: number;
}

export interface UdpRunRecord {
  server: string;
  round: number;
  sent: number;
  received: number;
  lost: number;
  late: number;
  mismatches: number;
  errors: number;
  elapsedSec: number;
  dgramPerSec: number;
  serverCpuSec: number;
  dgramPerCpuSec: number;
  latencyP50Us: number;
  latencyP99Us: number;
  ok: boolean;
  failures: string[];
}

export async function measureUdpRound(spec: UdpServerSpec, load: UdpLoadSpec, round: number, cwd: string): Promise<UdpRunRecord> {
  const server = await startServer(spec.name, spec.cmd, { cwd: spec.cwd ?? cwd });
  try {
    const warmup = load.warmupSec ?? 0;
    if (warmup > 0) {
      await runUdpClient({ port: server.port, window: load.window, size: load.size, sockets: load.sockets, durationSec: warmup, timeoutMs: load.timeoutMs });
    }
    await Bun.sleep(load.idleSec * 1000);
    const before = await readTreeCpuTicks(server.pid);
    const s = await runUdpClient({
      port: server.port,
      window: load.window,
      size: load.size,
      sockets: load.sockets,
      durationSec: load.durationSec,
      timeoutMs: load.timeoutMs,
    });
    const after = await readTreeCpuTicks(server.pid);
    const cpu = cpuSecondsBetween(before, after).total;
    return {
      server: spec.name,
      round,
      sent: s.sent,
      received: s.received,
      lost: s.lost,
      late: s.late,
      mismatches: s.mismatches,
      errors: s.errors,
      elapsedSec: s.elapsedSec,
      dgramPerSec: s.datagramsPerSec,
      serverCpuSec: cpu,
      dgramPerCpuSec: cpu > 0 ? s.received / cpu : 0,
      latencyP50Us: s.latencyUs.p50,
      latencyP99Us: s.latencyUs.p99,
      ok: s.ok,
      failures: s.failures,
    };
  } finally {
    await server.stop();
  }
}
