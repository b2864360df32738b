// Runs one measured round of the TCP comparison: a fresh server, 1 s idle, its CPU time around a kiss-client load.

import { runKissClient, type KissSummary } from "./kiss-client.ts";
import { startServer } from "./child-server.ts";
import { cpuSecondsBetween, readTreeCpuTicks } from "./proc-stat.ts";

export interface ServerSpec {
  /** Label in the report, e.g. "bare", "grocketd", "grocketd-t2". */
  name: string;
  cmd: string[];
  /** Working directory of the server (default: the one measureRound is given), e.g. another checkout. */
  cwd?: string;
  /** Only checked for correctness, not part of the ratio. */
  checkOnly?: boolean;
}

export interface LoadSpec {
  connections: number;
  pipeline: number;
  durationSec: number;
  idleSec: number;
  /** Seconds of uncounted load first, for JIT warm-up (bench/lib/http-runs.ts says why); 0 or absent = cold. */
  warmupSec?: number;
  clientThreads: number;
  timeoutSec: number;
}

export interface RunRecord {
  server: string;
  pipeline: number;
  round: number;
  requests: number;
  elapsedSec: number;
  reqPerSec: number;
  serverCpuSec: number;
  serverUserSec: number;
  serverSysSec: number;
  reqPerCpuSec: number;
  mismatches: number;
  failedConnections: number;
  ok: boolean;
  latencyP50Us: number;
  latencyP99Us: number;
  failures: string[];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Starts `spec` fresh (in `spec.cwd`, else `cwd`), measures it under `load`, and always stops it again. */
export async function measureRound(spec: ServerSpec, load: LoadSpec, round: number, cwd: string): Promise<RunRecord> {
  const server = await startServer(spec.name, spec.cmd, { cwd: spec.cwd ?? cwd });
  try {
    const warmup = load.warmupSec ?? 0;
    if (warmup > 0) {
      await runKissClient({ port: server.port, connections: load.connections, pipeline: load.pipeline, durationSec: warmup, threads: load.clientThreads, timeoutSec: load.timeoutSec });
    }
    await sleep(load.idleSec * 1000);
    const before = await readTreeCpuTicks(server.pid);
    const s: KissSummary = await runKissClient({
      port: server.port,
      connections: load.connections,
      pipeline: load.pipeline,
      durationSec: load.durationSec,
      threads: load.clientThreads,
      timeoutSec: load.timeoutSec,
    });
    const after = await readTreeCpuTicks(server.pid);
    const cpu = cpuSecondsBetween(before, after);
    return {
      server: spec.name,
      pipeline: load.pipeline,
      round,
      requests: s.requests,
      elapsedSec: s.elapsedSec,
      reqPerSec: s.reqPerSec,
      serverCpuSec: cpu.total,
      serverUserSec: cpu.user,
      serverSysSec: cpu.system,
      reqPerCpuSec: cpu.total > 0 ? s.requests / cpu.total : 0,
      mismatches: s.mismatches,
      failedConnections: s.failedConnections,
      ok: s.ok,
      latencyP50Us: s.latencyUs.p50,
      latencyP99Us: s.latencyUs.p99,
      failures: s.failures.map((f) => `${f.kind}: ${f.message}`),
    };
  } finally {
    await server.stop();
  }
}
