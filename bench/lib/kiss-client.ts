// runKissClient: the re-made grocket `test_tcp_client` as a function. Spreads the connections over client threads
// (the calling thread when there is one, Workers otherwise), prints live progress and returns one summary.

import type { FromWorker, ToWorker } from "../tcp-client-worker.ts";
import { C_ERRORS, C_MISMATCHES, C_REQUESTS, C_SLOTS, type FailureKind } from "./kiss-connection.ts";
import { type FailureNote, KissThread, type ThreadOptions, type ThreadResult } from "./kiss-thread.ts";
import { LatencyHistogram, type LatencyPercentiles } from "./latency-histogram.ts";

export interface KissClientOptions {
  host?: string;
  port: number;
  connections?: number;
  /** Packets kept in flight per connection; 1 = strict ping-pong. */
  pipeline?: number;
  /** Seconds of load; 0 = until `requests` are done. Defaults to 5 when `requests` is not set. */
  durationSec?: number;
  /** Total requests over all connections; 0 = unlimited. */
  requests?: number;
  threads?: number;
  /** Run a single client thread in a Worker instead of the calling thread. */
  forceWorkers?: boolean;
  /** A connection waiting this long for a reply fails (default 5). */
  timeoutSec?: number;
  /** Once-a-second progress lines on stderr (default false). */
  progress?: boolean;
  /** Aborting stops the load gracefully, as the deadline does. */
  signal?: AbortSignal;
}

export interface ThreadSummary {
  thread: number;
  connections: number;
  requests: number;
  reqPerSec: number;
  elapsedSec: number;
  bytesSent: number;
  bytesReceived: number;
  mismatches: number;
  failedConnections: number;
  latencyUs: LatencyPercentiles;
}

export interface KissSummary {
  /** No mismatch, no failed connection, and the requested count (if any) was reached. */
  ok: boolean;
  host: string;
  port: number;
  connections: number;
  pipeline: number;
  threads: number;
  /** The requested total (0 = none) and the configured duration (0 = none). */
  requestLimit: number;
  durationSec: number;
  requests: number;
  elapsedSec: number;
  reqPerSec: number;
  bytesSent: number;
  bytesReceived: number;
  mismatches: number;
  failedConnections: number;
  failureCounts: Record<FailureKind, number>;
  failures: FailureNote[];
  latencyUs: LatencyPercentiles;
  perThread: ThreadSummary[];
}

interface ThreadRunner {
  ready: Promise<void>;
  go(): Promise<ThreadResult>;
  stop(): void;
  dispose(): void;
}

function inlineRunner(opts: ThreadOptions, counters: Float64Array): ThreadRunner {
  const t = new KissThread(opts, counters);
  return { ready: t.connect(), go: () => t.run(), stop: () => t.stop(), dispose: () => {} };
}

function workerRunner(opts: ThreadOptions, sab: SharedArrayBuffer): ThreadRunner {
  const w = new Worker(new URL("../tcp-client-worker.ts", import.meta.url).href);
  const send = (m: ToWorker) => w.postMessage(m);
  let onReady!: () => void;
  let onDone!: (r: ThreadResult) => void;
  let onFatal!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    onFatal = rej;
  });
  const done = new Promise<ThreadResult>((res, rej) => {
    onDone = res;
    const prev = onFatal;
    onFatal = (e) => {
      prev(e);
      rej(e);
    };
  });
  done.catch(() => {}); // rejections surface through ready or go()
  w.onmessage = (ev: MessageEvent<FromWorker>) => {
    const m = ev.data;
    if (m.type === "ready") onReady();
    else if (m.type === "done") onDone(m.result);
    else onFatal(new Error(`client thread ${opts.thread}: ${m.message}`));
  };
  w.onerror = (ev) => onFatal(new Error(`client thread ${opts.thread}: ${ev.message}`));
  send({ type: "init", opts, counters: sab });
  return {
    ready,
    go: () => {
      send({ type: "go" });
      return done;
    },
    stop: () => send({ type: "stop" }),
    dispose: () => w.terminate(),
  };
}

function summariseThread(r: ThreadResult): ThreadSummary {
  const elapsedSec = r.elapsedMs / 1000;
  return {
    thread: r.thread,
    connections: r.connections,
    requests: r.requests,
    reqPerSec: elapsedSec > 0 ? r.requests / elapsedSec : 0,
    elapsedSec,
    bytesSent: r.bytesSent,
    bytesReceived: r.bytesReceived,
    mismatches: r.mismatches,
    failedConnections: r.failedConnections,
    latencyUs: LatencyHistogram.from(r.histogram).percentiles(),
  };
}

export async function runKissClient(options: KissClientOptions): Promise<KissSummary> {
  const host = options.host ?? "127.0.0.1";
  const connections = options.connections ?? 64;
  const pipeline = options.pipeline ?? 1;
  const requests = options.requests ?? 0;
  const durationSec = options.durationSec ?? (requests > 0 ? 0 : 5);
  const threads = Math.max(1, Math.min(options.threads ?? 1, connections));
  if (!(connections >= 1 && pipeline >= 1 && Number.isInteger(connections) && Number.isInteger(pipeline))) {
    throw new Error("connections and pipeline must be positive integers");
  }
  if (durationSec <= 0 && requests <= 0) throw new Error("need a duration or a request count");

  const sab = new SharedArrayBuffer(threads * C_SLOTS * 8);
  const runners: ThreadRunner[] = [];
  let first = 0;
  for (let t = 0; t < threads; t++) {
    const n = Math.floor(connections / threads) + (t < connections % threads ? 1 : 0);
    const opts: ThreadOptions = {
      thread: t,
      host,
      port: options.port,
      pipeline,
      firstConnection: first,
      connections: n,
      totalConnections: connections,
      totalRequests: requests,
      durationMs: durationSec * 1000,
      timeoutMs: (options.timeoutSec ?? 5) * 1000,
    };
    first += n;
    const inline = threads === 1 && !options.forceWorkers;
    runners.push(inline ? inlineRunner(opts, new Float64Array(sab, 0, C_SLOTS)) : workerRunner(opts, sab));
  }

  const all = new Float64Array(sab);
  const total = (slot: number) => {
    let s = 0;
    for (let t = 0; t < threads; t++) s += all[t * C_SLOTS + slot]!;
    return s;
  };
  let ticker: ReturnType<typeof setInterval> | null = null;
  const onAbort = () => runners.forEach((r) => r.stop());
  try {
    await Promise.all(runners.map((r) => r.ready));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.progress) {
      let last = 0;
      let sec = 0;
      ticker = setInterval(() => {
        const now = total(C_REQUESTS);
        sec++;
        process.stderr.write(
          `[${String(sec).padStart(3)}s] ${Math.round(now - last).toLocaleString("en-US").padStart(11)} req/s` +
            `  total ${now.toLocaleString("en-US")}  mismatches ${total(C_MISMATCHES)}  errors ${total(C_ERRORS)}\n`,
        );
        last = now;
      }, 1000);
    }
    const results = await Promise.all(runners.map((r) => r.go()));
    return summarise(results, { host, port: options.port, connections, pipeline, threads, requestLimit: requests, durationSec });
  } finally {
    if (ticker) clearInterval(ticker);
    options.signal?.removeEventListener("abort", onAbort);
    for (const r of runners) r.dispose();
  }
}

function summarise(
  results: ThreadResult[],
  cfg: { host: string; port: number; connections: number; pipeline: number; threads: number; requestLimit: number; durationSec: number },
): KissSummary {
  const hist = new LatencyHistogram();
  const failureCounts: Record<FailureKind, number> = { mismatch: 0, connect: 0, "socket-error": 0, "early-close": 0, timeout: 0 };
  const failures: FailureNote[] = [];
  let requests = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  let mismatches = 0;
  let failedConnections = 0;
  let elapsedMs = 0;
  for (const r of results) {
    hist.merge(r.histogram);
    requests += r.requests;
    bytesSent += r.bytesSent;
    bytesReceived += r.bytesReceived;
    mismatches += r.mismatches;
    failedConnections += r.failedConnections;
    elapsedMs = Math.max(elapsedMs, r.elapsedMs);
    for (const k of Object.keys(failureCounts) as FailureKind[]) failureCounts[k] += r.failureCounts[k];
    failures.push(...r.failures);
  }
  const elapsedSec = elapsedMs / 1000;
  // With a deadline as well, stopping short of the request count is not a failure.
  const countOk = cfg.requestLimit <= 0 || cfg.durationSec > 0 || requests === cfg.requestLimit;
  return {
    ok: mismatches === 0 && failedConnections === 0 && countOk,
    ...cfg,
    requests,
    elapsedSec,
    reqPerSec: elapsedSec > 0 ? requests / elapsedSec : 0,
    bytesSent,
    bytesReceived,
    mismatches,
    failedConnections,
    failureCounts,
    failures: failures.slice(0, 20),
    latencyUs: hist.percentiles(),
    perThread: results.map(summariseThread),
  };
}
