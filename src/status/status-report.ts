/**
 * @module status/status-report
 * What the status listener knows besides the counters (its lifecycle state, generation, processes), and the
 * `/status` JSON built from both. Sums count I/O threads only: in pool mode a packet is counted once where it was
 * read, and the handler threads' own counts appear per thread. Module counters are summed over every thread, since
 * each is counted where the module code ran. Field meanings: docs/status.md.
 */
import { VERSION } from "../version.ts";
import {
  FIXED_FIELDS, S_ACCESS_DROPPED, S_ACCESS_LINES, S_BYTES_IN, S_BYTES_OUT, S_CONN_OPEN, S_CONN_REFUSED, S_CONN_TOTAL,
  S_ERR_BAD_DATA, S_ERR_HANDLER, S_ERR_HTTP_REJECTED, S_HTTP_1XX, S_HTTP_REQUESTS, S_PACKETS, S_RING_FROM_HANDLERS,
  S_RING_TO_HANDLERS, S_TLS_HANDSHAKE_FAILED, S_TLS_HANDSHAKE_TIMEOUTS, S_ERR_UNCAUGHT,
  S_PS_DELIVERIES, S_PS_DROP_BROKER, S_PS_DROP_RING, S_PS_DROP_SLOW, S_PS_PUBLISHES, S_PS_PUSHES,
  S_PS_SUBSCRIPTIONS, S_PS_TOPICS, S_PS_UNKNOWN_ID, S_UDP_OVERLOADED, S_SOCKET_WRITES,
} from "../stats/stat-fields.ts";
import type { ThreadStats } from "../stats/stats-registry.ts";

/** starting: threads not all listening yet; ready: serving; draining: stopping (SIGTERM/SIGINT). */
export type StatusPhase = "starting" | "ready" | "draining";

export interface StatusState {
  phase: StatusPhase;
  /** The serving generation (live reload starts the next one); 0 before the first is ready. */
  generation: number;
  /** Child processes (server.processes); 1 = the master's own threads serve. */
  processes: number;
  /** Date.now() when the listener started. */
  readonly startedAt: number;
}

/**
 * Sum of the fixed fields over threads of one role; the I/O sums include the processes' main threads (they count
 * only the topic relays' drops, which are the server's as much as an I/O thread's are).
 */
export function sumFields(threads: readonly ThreadStats[], role: "io" | "handler"): number[] {
  const out = new Array<number>(FIXED_FIELDS).fill(0);
  for (const t of threads) {
    if (t.role === role || (role === "io" && t.role === "main")) for (let i = 0; i < FIXED_FIELDS; i++) out[i]! += t.fields[i] ?? 0;
  }
  return out;
}

/** What a process's main thread counts: publishes it could not pass on (MAIN_FIELDS in stat-fields.ts). */
function mainPart(f: readonly number[]) {
  return { pubsub: { dropped: { ring_full: f[S_PS_DROP_RING]!, broker_down: f[S_PS_DROP_BROKER]! } } };
}

/** Module counters summed over every thread, keyed "<module>\t<counter>". */
export function sumModules(threads: readonly ThreadStats[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of threads) for (const [k, v] of Object.entries(t.modules)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The same counters keyed "<module>.<counter>", as the thread's `term` log line names them. */
function dotted(modules: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(modules)) out[k.replace("\t", ".")] = v;
  return out;
}

/** The I/O-thread part of the report, for the sums and for each I/O thread. */
function ioPart(f: readonly number[]) {
  const errors = { handler: f[S_ERR_HANDLER]!, bad_data: f[S_ERR_BAD_DATA]!, http_rejected: f[S_ERR_HTTP_REJECTED]!, uncaught: f[S_ERR_UNCAUGHT]! };
  return {
    connections: { open: f[S_CONN_OPEN]!, total: f[S_CONN_TOTAL]!, refused: f[S_CONN_REFUSED]! },
    requests: { packets: f[S_PACKETS]!, http: f[S_HTTP_REQUESTS]!, total: f[S_PACKETS]! + f[S_HTTP_REQUESTS]! },
    http_responses: {
      "1xx": f[S_HTTP_1XX]!, "2xx": f[S_HTTP_1XX + 1]!, "3xx": f[S_HTTP_1XX + 2]!, "4xx": f[S_HTTP_1XX + 3]!, "5xx": f[S_HTTP_1XX + 4]!,
    },
    bytes: { in: f[S_BYTES_IN]!, out: f[S_BYTES_OUT]! },
    socket_writes: f[S_SOCKET_WRITES]!,
    errors: { total: errors.handler + errors.bad_data + errors.http_rejected + errors.uncaught, ...errors },
    ring_depth: { to_handlers: f[S_RING_TO_HANDLERS]!, from_handlers: f[S_RING_FROM_HANDLERS]! },
    access_log: { lines: f[S_ACCESS_LINES]!, dropped: f[S_ACCESS_DROPPED]! },
    tls: { handshake_timeouts: f[S_TLS_HANDSHAKE_TIMEOUTS]!, handshake_failures: f[S_TLS_HANDSHAKE_FAILED]! },
    pubsub: {
      pushes: f[S_PS_PUSHES]!, publishes: f[S_PS_PUBLISHES]!, deliveries: f[S_PS_DELIVERIES]!,
      dropped: { slow_consumer: f[S_PS_DROP_SLOW]!, ring_full: f[S_PS_DROP_RING]!, broker_down: f[S_PS_DROP_BROKER]! },
      unknown_ids: f[S_PS_UNKNOWN_ID]!, subscriptions: f[S_PS_SUBSCRIPTIONS]!, topics: f[S_PS_TOPICS]!,
    },
    udp: { overloaded: f[S_UDP_OVERLOADED]! },
  };
}

export function statusJson(state: StatusState, threads: readonly ThreadStats[], running: { io: number; handler: number }): unknown {
  const now = Date.now();
  return {
    version: VERSION,
    pid: process.pid,
    state: state.phase,
    ready: state.phase === "ready",
    started_at: new Date(state.startedAt).toISOString(),
    uptime_s: Math.round(now - state.startedAt) / 1000,
    generation: state.generation,
    processes: state.processes,
    threads: running,
    ...ioPart(sumFields(threads, "io")),
    modules: dotted(sumModules(threads)),
    per_thread: threads.map((t) => {
      const where = { role: t.role, thread: t.index, ...(t.process === undefined ? {} : { process: t.process }) };
      if (t.role === "main") return { role: t.role, ...(t.process === undefined ? {} : { process: t.process }), ...mainPart(t.fields) };
      if (t.role === "handler") {
        return { ...where, packets: t.fields[S_PACKETS], http_requests: t.fields[S_HTTP_REQUESTS], uncaught_errors: t.fields[S_ERR_UNCAUGHT], modules: dotted(t.modules) };
      }
      return { ...where, ...ioPart(t.fields), modules: dotted(t.modules) };
    }),
  };
}
