/**
 * @module stats/stat-fields
 * The fixed counters every thread keeps in its slot of shared memory (stats-slot.ts): their indices, used on the
 * hot path as plain constants, and the metric families that name and explain them (`/metrics`; docs/status.md
 * describes the same). Counters only grow (a restarted thread continues where the dead one stopped); gauges are set
 * by their thread and start again at zero when a thread is replaced.
 */

// I/O threads (connections and traffic).
/** Connections accepted (counted before the module's `accept` runs). */
export const S_CONN_TOTAL = 0;
/** Connections open now (gauge). */
export const S_CONN_OPEN = 1;
/** Connections refused: the module's `accept` returned false or threw (on the I/O or the handler thread). */
export const S_CONN_REFUSED = 2;
/** Packets framed by `check` and handed to `proc` (TCP, TLS, UDP, binary over HTTP); handler threads: handled. */
export const S_PACKETS = 3;
/** HTTP requests received whole; handler threads: requests handled. */
export const S_HTTP_REQUESTS = 4;
/** Bytes read from sockets (counted per read event). */
export const S_BYTES_IN = 5;
/**
 * Bytes the kernel accepted from us (counted per write, and per drain of a connection's queue; UDP: reply bytes handed
 * to the socket).
 */
export const S_BYTES_OUT = 6;
/** A module hook failed: `proc` threw or rejected, `http` failed, `accept` or `close` threw. */
export const S_ERR_HANDLER = 7;
/** Bad input: `check` said bad data or threw, a packet over io.max_packet. */
export const S_ERR_BAD_DATA = 8;
/** HTTP requests refused by the server before the module saw them (400, 408, 413, 414, 431, 501, 505, ...). */
export const S_ERR_HTTP_REJECTED = 9;
/** HTTP responses by status class: S_HTTP_1XX + (status / 100 | 0) - 1. */
export const S_HTTP_1XX = 10;
export const S_HTTP_2XX = 11;
export const S_HTTP_3XX = 12;
export const S_HTTP_4XX = 13;
export const S_HTTP_5XX = 14;
/** Records waiting in this I/O thread's rings to the handler threads, plus those parked behind a full ring (gauge). */
export const S_RING_TO_HANDLERS = 15;
/** Records the handler threads have sent this I/O thread and it has not read yet (gauge). */
export const S_RING_FROM_HANDLERS = 16;
/** Access log lines accepted into the thread's buffer. */
export const S_ACCESS_LINES = 17;
/** Access log lines dropped because the buffer was full (the disk or stdout could not keep up) or a write failed. */
export const S_ACCESS_DROPPED = 18;
/** TLS connections closed because their handshake had not finished within tls.handshake_timeout_ms. */
export const S_TLS_HANDSHAKE_TIMEOUTS = 19;
/** TLS handshakes that failed (no common version or cipher suite, a malformed ClientHello, ...). */
export const S_TLS_HANDSHAKE_FAILED = 20;
// Server push and topics (src/pubsub/), on the I/O thread that owns the connection.
/** Pushes: `conn.send` and `ctx.send` deliveries to a connection (topic deliveries are counted apart). */
export const S_PS_PUSHES = 21;
/** Publishes made on this thread (a handler thread's publish counts on the I/O thread that relays it). */
export const S_PS_PUBLISHES = 22;
/** Topic deliveries written to this thread's subscribers. */
export const S_PS_DELIVERIES = 23;
/** Connections dropped as slow consumers (output past io.max_buffered; close reason `slow_consumer`). */
export const S_PS_DROP_SLOW = 24;
/**
 * Records (publishes, sends) not delivered to another I/O thread because the ring to it was full. Also counted by a
 * process's main thread (role "main") for the publishes of other processes or the broker it could not hand on.
 */
export const S_PS_DROP_RING = 25;
/**
 * Publishes that could not be relayed to other processes or the broker: made while it was unreachable (on the I/O
 * thread), or refused by Redis once handed to it (on the process's main thread, role "main").
 */
export const S_PS_DROP_BROKER = 26;
/** Subscriptions on this thread now (gauge). */
export const S_PS_SUBSCRIPTIONS = 27;
/** Topics with at least one subscriber on this thread now (gauge). */
export const S_PS_TOPICS = 28;
/** `ctx.send` to an id with no open connection (closed, never existed, or a UDP sender). */
export const S_PS_UNKNOWN_ID = 29;
/**
 * Module code threw where nothing catches it (an exception in a timer or promise callback, an unhandled rejection);
 * the thread is recycled (master/worker-group.ts). I/O and handler threads.
 */
export const S_ERR_UNCAUGHT = 30;
/**
 * UDP datagrams dropped unanswered because their sender (or the listener) already held too much in pending async
 * replies (io/udp/udp-replies.ts: MAX_OWED_PER_SENDER, HELD_SENDERS); the listener's own `overloaded` count, summed.
 */
export const S_UDP_OVERLOADED = 31;
// Handler pool rings (both roles; src/ring/ring.ts countInto: these three in this order).
/** Records read from the handler-pool rings (on an I/O thread: replies; on a handler thread: requests). */
export const S_POOL_RECORDS = 32;
/** Times this thread's ring waits slept and were resumed (woken by the other thread, or timed out). */
export const S_POOL_WAKEUPS = 33;
/** Atomics.notify calls this thread made on the handler-pool rings (only to a side that sleeps). */
export const S_POOL_NOTIFIES = 34;
/**
 * Write calls to stream sockets (TCP, TLS, HTTP, WebSocket), resends of a connection's queue on drain included: with
 * S_BYTES_OUT, the bytes per write (pushes and topic deliveries are batched per connection per turn, io/push-batch.ts).
 */
export const S_SOCKET_WRITES = 35;
/** Fixed fields per slot, with room to add counters without changing the slot layout. */
export const FIXED_FIELDS = 40;

export type FieldKind = "counter" | "gauge";

/** One Prometheus metric family over fixed fields; `labels[i]` is the label set of `fields[i]`. */
export interface Family {
  /** Metric name without the `grocketd_` prefix. */
  readonly name: string;
  readonly kind: FieldKind;
  readonly help: string;
  readonly fields: readonly number[];
  readonly labels?: readonly Record<string, string>[];
}

/** What I/O threads count, per thread (label `thread`) and summed (`grocketd_server_<name>`). */
export const IO_FAMILIES: readonly Family[] = [
  { name: "connections_total", kind: "counter", help: "Connections accepted.", fields: [S_CONN_TOTAL] },
  { name: "connections_open", kind: "gauge", help: "Connections open now.", fields: [S_CONN_OPEN] },
  { name: "connections_refused_total", kind: "counter", help: "Connections refused by the module's accept (or accept threw).", fields: [S_CONN_REFUSED] },
  { name: "packets_total", kind: "counter", help: "Packets framed by check and handed to proc (TCP, TLS, UDP, binary over HTTP).", fields: [S_PACKETS] },
  { name: "http_requests_total", kind: "counter", help: "HTTP requests received whole.", fields: [S_HTTP_REQUESTS] },
  {
    name: "http_responses_total", kind: "counter", help: "HTTP responses sent, by status class.",
    fields: [S_HTTP_1XX, S_HTTP_2XX, S_HTTP_3XX, S_HTTP_4XX, S_HTTP_5XX],
    labels: [{ class: "1xx" }, { class: "2xx" }, { class: "3xx" }, { class: "4xx" }, { class: "5xx" }],
  },
  { name: "received_bytes_total", kind: "counter", help: "Bytes read from client sockets.", fields: [S_BYTES_IN] },
  { name: "sent_bytes_total", kind: "counter", help: "Bytes written to client sockets (accepted by the kernel).", fields: [S_BYTES_OUT] },
  {
    name: "errors_total", kind: "counter",
    help: "Errors: module hook failures, bad input data, HTTP requests refused by the server, uncaught exceptions in module code.",
    fields: [S_ERR_HANDLER, S_ERR_BAD_DATA, S_ERR_HTTP_REJECTED, S_ERR_UNCAUGHT],
    labels: [{ kind: "handler" }, { kind: "bad_data" }, { kind: "http_rejected" }, { kind: "uncaught" }],
  },
  {
    name: "ring_depth", kind: "gauge", help: "Records waiting in the handler-pool rings of an I/O thread (sampled at most 1 s ago).",
    fields: [S_RING_TO_HANDLERS, S_RING_FROM_HANDLERS],
    labels: [{ direction: "to_handlers" }, { direction: "from_handlers" }],
  },
  { name: "access_log_lines_total", kind: "counter", help: "Access log lines buffered for writing.", fields: [S_ACCESS_LINES] },
  { name: "access_log_dropped_total", kind: "counter", help: "Access log lines dropped (buffer full or write failed).", fields: [S_ACCESS_DROPPED] },
  {
    name: "tls_handshake_failures_total", kind: "counter", help: "TLS connections whose handshake did not succeed: timed out (tls.handshake_timeout_ms) or failed.",
    fields: [S_TLS_HANDSHAKE_TIMEOUTS, S_TLS_HANDSHAKE_FAILED],
    labels: [{ reason: "timeout" }, { reason: "failed" }],
  },
  { name: "pubsub_pushes_total", kind: "counter", help: "Server pushes to one connection (conn.send, ctx.send).", fields: [S_PS_PUSHES] },
  { name: "pubsub_publishes_total", kind: "counter", help: "Topic publishes made on this thread.", fields: [S_PS_PUBLISHES] },
  { name: "pubsub_deliveries_total", kind: "counter", help: "Topic deliveries written to subscribers of this thread.", fields: [S_PS_DELIVERIES] },
  {
    name: "pubsub_dropped_total", kind: "counter", help: "Pushes and publishes lost: slow consumers dropped, full rings between threads, broker unreachable.",
    fields: [S_PS_DROP_SLOW, S_PS_DROP_RING, S_PS_DROP_BROKER],
    labels: [{ reason: "slow_consumer" }, { reason: "ring_full" }, { reason: "broker_down" }],
  },
  { name: "pubsub_unknown_ids_total", kind: "counter", help: "ctx.send to an id with no open connection.", fields: [S_PS_UNKNOWN_ID] },
  { name: "pubsub_subscriptions", kind: "gauge", help: "Topic subscriptions on this thread.", fields: [S_PS_SUBSCRIPTIONS] },
  { name: "pubsub_topics", kind: "gauge", help: "Topics with a subscriber on this thread.", fields: [S_PS_TOPICS] },
  { name: "socket_writes_total", kind: "counter", help: "Write calls to stream sockets (TCP, TLS, HTTP, WebSocket), queue resends on drain included.", fields: [S_SOCKET_WRITES] },
  { name: "udp_overloaded_total", kind: "counter", help: "UDP datagrams dropped unanswered: their sender or listener held too many pending async replies.", fields: [S_UDP_OVERLOADED] },
  { name: "pool_records_total", kind: "counter", help: "Records read from the handler-pool rings (replies, pushes).", fields: [S_POOL_RECORDS] },
  { name: "pool_wakeups_total", kind: "counter", help: "Times a handler-pool ring wait on this thread slept and was woken.", fields: [S_POOL_WAKEUPS] },
  { name: "pool_notifies_total", kind: "counter", help: "Wake-ups (Atomics.notify) this thread sent on the handler-pool rings.", fields: [S_POOL_NOTIFIES] },
];

/** The families a process's main thread counts too (label `thread="main"`): its topic relay's drops. */
export const MAIN_FAMILIES: ReadonlySet<string> = new Set(["pubsub_dropped_total"]);

/** What handler threads count (`worker.disabled = false`), per handler thread (label `handler`). */
export const HANDLER_FAMILIES: readonly Family[] = [
  { name: "handler_packets_total", kind: "counter", help: "Packets run by proc on a handler thread.", fields: [S_PACKETS] },
  { name: "handler_http_requests_total", kind: "counter", help: "HTTP requests run on a handler thread.", fields: [S_HTTP_REQUESTS] },
  { name: "handler_pool_records_total", kind: "counter", help: "Records a handler thread read from its pool rings (requests, opens, closes).", fields: [S_POOL_RECORDS] },
  { name: "handler_pool_wakeups_total", kind: "counter", help: "Times a handler thread's ring wait slept and was woken.", fields: [S_POOL_WAKEUPS] },
  { name: "handler_pool_notifies_total", kind: "counter", help: "Wake-ups (Atomics.notify) a handler thread sent on its pool rings.", fields: [S_POOL_NOTIFIES] },
  { name: "handler_uncaught_errors_total", kind: "counter", help: "Uncaught exceptions in module code on a handler thread (each recycles it).", fields: [S_ERR_UNCAUGHT] },
];

/** Fields that are gauges: not carried over when a thread's counters are retired. */
export const GAUGES: ReadonlySet<number> = new Set(IO_FAMILIES.filter((f) => f.kind === "gauge").flatMap((f) => f.fields));

/** Index of the status-class counter for an HTTP status (1xx..5xx); -1 outside 100-599. */
export function statusClassField(status: number): number {
  const c = (status / 100) | 0;
  return c >= 1 && c <= 5 ? S_HTTP_1XX + c - 1 : -1;
}
