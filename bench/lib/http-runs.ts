// One measured round of the HTTP comparison: a fresh server, a raw check of its answer, a warm-up wrk run that is
// not counted (JIT-compiled servers — Bun, grocketd — spend their first seconds compiling on helper threads, which
// /proc counts as the server's CPU; a long-running server has paid that long ago, and nginx and uWebSockets pay
// nothing, so a cold measurement says more about the JIT than about the server), 1 s idle, then its CPU time (the
// whole process tree: nginx = master + worker) read around one wrk run. The server is always stopped again.

import { checkHello } from "./http-check.ts";
import type { HttpServerSpec } from "./http-servers.ts";
import { type TlsSetup, negotiated } from "./http-tls.ts";
import { runWrk } from "./http-wrk.ts";
import { cpuSecondsBetween, readTreeCpuTicks } from "./proc-stat.ts";

export interface HttpMode {
  name: string;
  /** 1 = plain; more = that many requests per write (pipeline.lua). */
  depth: number;
}

export const MODES: readonly HttpMode[] = [
  { name: "plain", depth: 1 },
  { name: "pipelined ×16", depth: 16 },
];

export interface HttpLoad {
  connections: number;
  durationSec: number;
  idleSec: number;
  /** Seconds of uncounted load before the measured run (0 = measure from cold). */
  warmupSec: number;
  wrkThreads: number;
  /** wrk --timeout, seconds. */
  timeoutSec: number;
  /** Prefix for the wrk command, e.g. ["taskset", "-c", "0"]. */
  wrkPrefix?: string[];
  wrkPath?: string;
  /** bench:http --tls: every server is reached over https with this pinned client setup. */
  tls?: TlsSetup;
}

export interface HttpRunRecord {
  server: string;
  mode: string;
  depth: number;
  round: number;
  requests: number;
  durationSec: number;
  /** wrk's Requests/sec. */
  reqPerSec: number;
  serverCpuSec: number;
  serverUserSec: number;
  serverSysSec: number;
  /** wrk's total requests / server CPU seconds. */
  reqPerCpuSec: number;
  /** Server CPU seconds per wall second of the run (1.0 = one core busy). */
  serverCpuShare: number;
  /** wrk's CPU seconds per wall second (near 1.0 with -t1: the client is the bottleneck). */
  clientCpuShare: number;
  latencyP50Us: number | null;
  latencyP99Us: number | null;
  non2xx: number;
  socketErrors: number;
  socketErrorDetail: string;
  /** The response head the server sent to the raw check. */
  head: string;
  wrkCommand: string;
  /** --tls: the protocol and suite the server negotiated, e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256". */
  tls?: string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Requests per server-CPU-second; 0 when no CPU time was recorded (a run too short for one clock tick). */
export function perCpuSecond(requests: number, cpuSec: number): number {
  return cpuSec > 0 ? requests / cpuSec : 0;
}

/** Starts `spec` fresh, checks its answer, measures it under wrk, and always stops it. Throws if it answers wrongly. */
export async function measureHttpRound(spec: HttpServerSpec, mode: HttpMode, load: HttpLoad, round: number): Promise<HttpRunRecord> {
  const running = await spec.start();
  const { server } = running;
  try {
    let head: string;
    const tls = load.tls;
    try {
      const requireType = spec.sendsContentType !== false;
      const [first] = await checkHello(server.port, 1, 3000, requireType, !!tls);
      head = first!.head;
      if (mode.depth > 1) await checkHello(server.port, mode.depth, 3000, requireType, !!tls);
    } catch (e) {
      throw new Error(`${spec.name} answered wrongly on port ${server.port}: ${(e as Error).message}`);
    }
    let session: string | undefined;
    if (tls) {
      // The client offers one version and one suite; a server that ends up elsewhere is not measured like the others.
      const n = negotiated(server.port, tls);
      if (n.protocol !== tls.protocol || n.suite !== tls.suite) {
        throw new Error(`${spec.name} negotiated ${n.protocol} ${n.suite}, not ${tls.protocol} ${tls.suite}`);
      }
      session = `${n.protocol} ${n.suite}`;
    }
    const wrkRun = (durationSec: number) =>
      runWrk({
        url: `${tls ? "https" : "http"}://127.0.0.1:${server.port}/`,
        threads: load.wrkThreads,
        connections: load.connections,
        durationSec,
        depth: mode.depth,
        timeoutSec: load.timeoutSec,
        prefix: load.wrkPrefix,
        wrkPath: load.wrkPath,
        env: tls?.clientEnv,
      });
    if (load.warmupSec > 0) await wrkRun(load.warmupSec);
    await sleep(load.idleSec * 1000);
    const before = await readTreeCpuTicks(server.pid);
    const wrk = await wrkRun(load.durationSec);
    const after = await readTreeCpuTicks(server.pid);
    const cpu = cpuSecondsBetween(before, after);
    const r = wrk.result;
    return {
      server: spec.name,
      mode: mode.name,
      depth: mode.depth,
      round,
      requests: r.requests,
      durationSec: r.durationSec,
      reqPerSec: r.reqPerSec,
      serverCpuSec: cpu.total,
      serverUserSec: cpu.user,
      serverSysSec: cpu.system,
      reqPerCpuSec: perCpuSecond(r.requests, cpu.total),
      serverCpuShare: r.durationSec > 0 ? cpu.total / r.durationSec : 0,
      clientCpuShare: r.durationSec > 0 ? wrk.clientCpuSec / r.durationSec : 0,
      latencyP50Us: r.latency.p50Us,
      latencyP99Us: r.latency.p99Us,
      non2xx: r.non2xx,
      socketErrors: r.socketErrorsTotal,
      socketErrorDetail: `connect ${r.socketErrors.connect}, read ${r.socketErrors.read}, write ${r.socketErrors.write}, timeout ${r.socketErrors.timeout}`,
      head,
      wrkCommand: wrk.command.join(" "),
      tls: session,
    };
  } finally {
    await running.stop();
  }
}
