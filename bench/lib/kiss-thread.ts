// The connections of one client thread (the main thread or one Worker): connect them all, start them together,
// stop at the deadline or when every connection has made its share of requests, and summarise.

import {
  C_BYTES_RECEIVED,
  C_BYTES_SENT,
  C_ERRORS,
  C_MISMATCHES,
  C_REQUESTS,
  type ConnectionHost,
  type FailureKind,
  KissConnection,
} from "./kiss-connection.ts";
import { type HistogramSnapshot, LatencyHistogram } from "./latency-histogram.ts";

export interface ThreadOptions {
  thread: number;
  host: string;
  port: number;
  pipeline: number;
  /** Global index of this thread's first connection and how many it runs. */
  firstConnection: number;
  connections: number;
  totalConnections: number;
  /** Requests over all threads; 0 = unlimited (duration only). Split evenly over connections. */
  totalRequests: number;
  /** 0 = no deadline. */
  durationMs: number;
  /** A connection with packets in flight and no complete reply for this long fails. */
  timeoutMs: number;
}

export interface FailureNote {
  kind: FailureKind;
  message: string;
}

export interface ThreadResult {
  thread: number;
  connections: number;
  requests: number;
  bytesSent: number;
  bytesReceived: number;
  mismatches: number;
  /** Connections that failed for any reason (mismatch included). */
  failedConnections: number;
  failureCounts: Record<FailureKind, number>;
  /** The first few failure messages. */
  failures: FailureNote[];
  elapsedMs: number;
  histogram: HistogramSnapshot;
}

const MAX_NOTES = 20;

/** Requests made by connection `index` when `total` are split over `connections`. */
export function requestShare(total: number, connections: number, index: number): number {
  if (total <= 0) return Infinity;
  return Math.floor(total / connections) + (index < total % connections ? 1 : 0);
}

export class KissThread implements ConnectionHost {
  readonly histogram = new LatencyHistogram();
  stopping = false;
  private readonly conns: KissConnection[] = [];
  private settled = 0;
  private readonly failureCounts: Record<FailureKind, number> = { mismatch: 0, connect: 0, "socket-error": 0, "early-close": 0, timeout: 0 };
  private readonly notes: FailureNote[] = [];
  private onAllSettled: (() => void) | null = null;

  constructor(
    private readonly opts: ThreadOptions,
    /** C_SLOTS numbers; may be a SharedArrayBuffer view read by the main thread for progress. */
    readonly counters: Float64Array,
  ) {
    for (let i = 0; i < opts.connections; i++) {
      const index = opts.firstConnection + i;
      this.conns.push(new KissConnection(index, opts.pipeline, requestShare(opts.totalRequests, opts.totalConnections, index), this));
    }
  }

  /** Opens every connection; failures are recorded, not thrown. */
  async connect(): Promise<void> {
    const { host, port } = this.opts;
    await Promise.all(
      this.conns.map(async (conn) => {
        try {
          const socket = await Bun.connect<KissConnection>({
            hostname: host,
            port,
            data: conn,
            socket: {
              open(s) {
                s.data.opened(s);
              },
              data(s, chunk) {
                s.data.onData(chunk);
              },
              drain(s) {
                s.data.onDrain();
              },
              close(s, err) {
                s.data.onClose(err);
              },
              error(s, err) {
                s.data.fail("socket-error", `connection ${s.data.index}: ${err.message}`);
              },
              connectError(s, err) {
                s.data.fail("connect", `connection ${s.data.index}: connect to ${host}:${port} failed: ${err.message}`);
              },
            },
          });
          conn.opened(socket);
        } catch (e) {
          conn.fail("connect", `connection ${conn.index}: connect to ${host}:${port} failed: ${(e as Error).message}`);
        }
      }),
    );
  }

  /** Runs the load until every connection is done or failed. */
  run(): Promise<ThreadResult> {
    const t0 = performance.now();
    const done = new Promise<void>((resolve) => {
      this.onAllSettled = resolve;
    });
    for (const c of this.conns) c.start(t0);
    this.checkSettled();
    const deadline = this.opts.durationMs > 0 ? setTimeout(() => this.stop(), this.opts.durationMs) : null;
    const watchdog = setInterval(() => this.checkStalls(), Math.max(50, Math.min(250, this.opts.timeoutMs / 4)));
    return done.then(() => {
      if (deadline) clearTimeout(deadline);
      clearInterval(watchdog);
      return this.result(performance.now() - t0);
    });
  }

  /** Ends the run early: no new requests; connections finish once their in-flight packets are back. */
  stop(): void {
    this.stopping = true;
  }

  failed(conn: KissConnection, kind: FailureKind, message: string): void {
    this.failureCounts[kind]++;
    this.counters[C_ERRORS]!++;
    if (this.notes.length < MAX_NOTES) this.notes.push({ kind, message });
    this.settle();
  }

  finished(_conn: KissConnection): void {
    this.settle();
  }

  private settle(): void {
    this.settled++;
    this.checkSettled();
  }

  private checkSettled(): void {
    if (this.settled === this.conns.length && this.onAllSettled) {
      const resolve = this.onAllSettled;
      this.onAllSettled = null;
      resolve();
    }
  }

  private checkStalls(): void {
    const now = performance.now();
    for (const c of this.conns) {
      if (c.state === "running" && now - c.lastProgress > this.opts.timeoutMs) {
        c.fail("timeout", `connection ${c.index}: no reply for ${Math.round(now - c.lastProgress)} ms after ${c.completed} replies (${c.inflight} in flight)`);
      }
    }
  }

  private result(elapsedMs: number): ThreadResult {
    const h = this.histogram;
    return {
      thread: this.opts.thread,
      connections: this.conns.length,
      requests: this.counters[C_REQUESTS]!,
      bytesSent: this.counters[C_BYTES_SENT]!,
      bytesReceived: this.counters[C_BYTES_RECEIVED]!,
      mismatches: this.counters[C_MISMATCHES]!,
      failedConnections: this.conns.filter((c) => c.state === "failed").length,
      failureCounts: { ...this.failureCounts },
      failures: this.notes.slice(),
      elapsedMs,
      histogram: { counts: h.counts, count: h.count, sum: h.sum, max: h.max },
    };
  }
}
