/**
 * @module config/keys
 * Every configuration key in one table: its zod type, its default, and the sentence that documents it. The zod
 * schemas (config/schema.ts), the environment mapping (config/env.ts) and docs/config.md are all derived from here,
 * so a key cannot exist in one place and be missing from another.
 * `z` here is config/schema-shape.ts: zod's builder calls, recorded rather than run, so that a valid config is
 * checked without loading zod (config/fast-parse.ts) and zod runs, with these very calls, only to report a problem.
 */
import { z, type Shape } from "./schema-shape.ts";
import { parseListenUrl } from "./listen-url.ts";
import { cpuCount } from "./cpu-count.ts";
import { formatProblem } from "./log-template.ts";

export interface KeySpec<T = unknown> {
  readonly schema: Shape<T>;
  readonly default: T;
  readonly doc: string;
  /** The original grocket ini key this replaces, for the mapping table in the docs. */
  readonly original?: string | undefined;
}

function key<T>(schema: Shape<T>, def: T, doc: string, original?: string): KeySpec<T> {
  // Spelled out so the type holds under exactOptionalPropertyTypes too (src/build/build-types.ts compiles the
  // public surface, which reaches this file through `Config`, with that option).
  return original === undefined ? { schema, default: def, doc } : { schema, default: def, doc, original };
}

/** Forward-secret AEAD suites only (ECDHE + AES-GCM or ChaCha20-Poly1305), ECDSA and RSA certificates. */
const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const KiB = 1024;
const MiB = 1024 * KiB;

const listenUrl = z.string().superRefine((v, ctx) => {
  const r = parseListenUrl(v);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
});

/** "" (off) or http://host:port, without ?module=. */
const statusUrl = z.string().superRefine((v, ctx) => {
  if (v === "") return;
  const r = parseListenUrl(v);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
  else if (r.protocol !== "http" || r.module !== undefined) ctx.addIssue({ code: "custom", message: 'expected "http://host:port" or "" (off)' });
});

/** A CPU number that exists here; the environment gives strings ("0,1"), hence the conversion. */
const cpuNumber = z.preprocess(
  (v) => (typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
  z.number().int().min(0).superRefine((n, ctx) => {
    const count = cpuCount();
    if (n >= count) ctx.addIssue({ code: "custom", message: `CPU ${n} does not exist (this machine has CPUs 0-${count - 1})` });
  }),
);

export const configKeys = {
  server: {
    listen: key(z.array(listenUrl).min(1, "at least one listen URL is needed"), ["tcp://0.0.0.0:8000", "http://0.0.0.0:8080"],
      "Listen URLs: `tcp://host:port`, `udp://host:port`, `http://host:port`, `ws://host:port/path` (WebSocket), and over TLS `tls://host:port` (packets), `https://host:port` and `wss://host:port/path` (see [tls]); `?ws=/path` on `http://`/`https://` serves WebSocket upgrades at that path; add `?module=name` when several modules are loaded. Port 0 picks a free port (shared by all threads).",
      "[listen] 0..15"),
    modules: key(z.array(z.string().min(1)), [],
      "Module files to load (paths relative to the config file). Empty: the bundled demo `modules/echo.ts`.", "server.module"),
    drain_ms: key(int(0, 3_600_000), 5000,
      "On SIGTERM/SIGINT, and for the old generation on reload: how long in-flight replies may take before connections are cut (milliseconds)."),
    start_timeout_ms: key(int(0, 3_600_000), 60_000,
      "How long a generation's threads and processes may take to start (module init included) before the start, or the reload, is given up (milliseconds). 0 = no limit."),
    processes: key(int(1, 256), 1,
      "Child processes, each with its own I/O threads (and handler pool), sharing the ports with SO_REUSEPORT. 1 = the master's own threads serve, no child processes.",
      "daemon"),
    restart_limit: key(int(0, 1_000_000), 5,
      "A thread or child process that dies more than this many times within server.restart_window_ms is in a crash loop: logged, and the server reports degraded on /readyz; it is still restarted, with back-off up to 30 s. The server exits 1 only when every I/O thread (or every handler thread, or every child process) has failed to start more than this many times in a row. 0 = no crash-loop report, never exit."),
    restart_window_ms: key(int(1000, 86_400_000), 60_000, "The window of server.restart_limit (milliseconds)."),
    stall_timeout_ms: key(z.union([z.literal(0), int(100, 3_600_000)]), 10_000,
      "Watchdog: an I/O or handler thread whose heartbeat is silent this long (a busy loop in module code) is logged with the module and hook it was in, reported not ready, terminated (its connections are lost) and replaced (milliseconds; 0 = off, otherwise at least 100)."),
    pid_file: key(z.string(), "",
      "Where the master writes its process id once it serves (removed at exit), so `grocketd reload` can find it; its reload outcomes go to `<pid_file>.reload`. Never written through a symbolic link (refused at start-up), nor over the pid file of a grocketd that still runs; a stale one is replaced. \"\" = none."),
  },
  io: {
    threads: key(int(0, 1024), 0, "I/O threads, each listening on every port with SO_REUSEPORT. 0 = one per CPU core.",
      "tcp.in.thread_count"),
    max_packet: key(int(16, 1024 * MiB), 1 * MiB,
      "Largest packet a connection may send (bytes): input buffered for one packet beyond this closes the connection.",
      "tcp.in.recv_buf.max"),
    high_water: key(int(1 * KiB, 1024 * MiB), 1 * MiB,
      "Output high-water mark per connection (bytes): above it the connection stops reading until its queue drains below half."),
    idle_timeout_ms: key(int(0, 86_400_000), 60_000,
      "Close a connection with no reads, no write progress and no pending reply for this long (milliseconds); time the server stops reading for a full ring to a handler thread (pool mode) is not counted. 0 = never."),
    cpu_affinity: key(z.array(cpuNumber), [] as number[],
      "CPUs to pin the I/O threads to (Linux): thread i (of each process) runs only on CPU `cpu_affinity[i % n]`. Empty = no pinning. Elsewhere, or if pinning fails, a warning and no effect.",
      "thread_affinity"),
    max_buffered: key(int(1 * KiB, 4096 * MiB), 4 * MiB,
      "Most output a connection may have waiting (bytes: its queue plus pushes held behind an owed reply); a server push (`conn.send`, `ctx.send`, a topic delivery) past it drops the connection as a slow consumer (close reason `slow_consumer`, counted). At least io.high_water."),
    idle_gc_after: key(int(0, 1_000_000_000), 1000,
      "An I/O thread runs a full garbage collection once it is quiet (no byte read for a whole housekeeping tick) after at least this many connections let go of memory (an HTTP keep-alive connection going idle between requests, or a connection closed): that garbage outlived the requests, so the runtime would otherwise keep it while the server idles (about 0.8 KiB of memory per idle HTTP connection). The collection pauses the thread (about 17 ms with 10,000 idle connections). 0 = never."),
    idle_gc_interval_ms: key(int(1000, 86_400_000), 10_000,
      "Shortest time between two of those collections on a thread (milliseconds), however many connections go idle."),
  },
  worker: {
    disabled: key(z.boolean(), true,
      "true: handlers run inline on the I/O threads (fastest when they are quick and even). false: packets and HTTP requests go to a pool of handler threads over shared-memory rings, so slow or blocking handlers never stall reading.",
      "worker.disabled"),
    threads: key(int(1, 1024), 1, "Handler threads when worker.disabled = false. A connection is pinned to one of them, so its replies stay in order.",
      "worker.thread_count"),
    ring_bytes: key(int(64 * KiB, 1024 * MiB), 4 * MiB,
      "Size of each ring (one per direction per I/O thread and handler thread pair). A full ring pauses the sockets that feed it; one record (packet or whole request/response) must fit."),
  },
  http: {
    max_head_bytes: key(int(256, 1 * MiB), 16 * KiB,
      "Largest request line plus header section (bytes); larger → 431 Request Header Fields Too Large."),
    max_headers: key(int(1, 1000), 100, "Most header fields per request; more → 431."),
    max_url_bytes: key(int(16, 1 * MiB), 8 * KiB, "Longest request-target (bytes); longer → 414 URI Too Long."),
    max_body_bytes: key(int(0, 1024 * MiB), 1 * MiB,
      "Largest request body (bytes, after de-chunking); larger → 413 Content Too Large. Also the limit of a binary-over-HTTP body."),
    head_timeout_ms: key(int(0, 3_600_000), 30_000,
      "Time allowed to receive a whole request head once it has begun (milliseconds); exceeded → 408 and close. Time the server stops reading because the ring to a handler thread is full (pool mode) is not counted. 0 = no limit."),
    body_timeout_ms: key(int(0, 3_600_000), 30_000,
      "Longest pause between two reads of a request body (milliseconds); exceeded → 408 and close. Only what the client sends counts: the server's own output (a `fetch` hook streaming its response meanwhile) does not restart it. A pause starts again when the server reads again after stopping for a `fetch` hook that does not read its body stream, or for a full ring to a handler thread (pool mode). 0 = no limit."),
    body_deadline_ms: key(int(0, 3_600_000), 30_000,
      "Total time allowed to receive a whole request body once its head is in (milliseconds), however the bytes are spaced; exceeded → 408 and close. Bounds a body trickled just fast enough to dodge http.body_timeout_ms. Raise it with http.max_body_bytes for slow uploads. Time the server stops reading for a `fetch` hook that does not read its body stream, or for a full ring to a handler thread, is not counted. 0 = no limit."),
    keep_alive_timeout_ms: key(int(0, 3_600_000), 15_000,
      "How long an idle keep-alive connection waits for its next request (milliseconds) before it is closed, counted from the last read or the last write of the response the client took. 0 = no limit (io.idle_timeout_ms still applies)."),
    max_requests_per_connection: key(int(0, 1_000_000_000), 0,
      "Close a keep-alive connection after this many requests (`Connection: close` on the last). 0 = unlimited."),
    binary_path: key(z.string().regex(/^(\/\S*)?$/, "expected an absolute path like \"/binary\" or \"\" to turn it off"), "",
      "Binary over HTTP on every HTTP listener that does not choose for itself with `?binary=/path` (or `?binary=` for off): POSTs to this path have their body framed by the module's `check` and each packet answered by `proc`; the replies, concatenated, are the response body. It runs `proc` without the module's `http` hook, so none of that hook's checks apply (README, \"Binary over HTTP\"). \"\" = off (the default)."),
    server_header: key(z.string().regex(/^[\x21-\x7e][\x20-\x7e]*$|^$/, "expected visible ASCII"), "grocketd",
      "Value of the `Server` response header; \"\" leaves the header out."),
  },
  log: {
    level: key(z.enum(["debug", "info", "warn", "error", "silent"]), "info" as const, "Lowest level written: debug, info, warn, error or silent.",
      "log.level"),
    format: key(z.enum(["text", "json"]), "text" as const, "`text` (one readable line) or `json` (one object per line)."),
  },
  tls: {
    cert: key(z.string(), "",
      "Certificate file (PEM) for `tls://` and `https://` listen entries, leaf first, then intermediates; relative to the config file (to the working directory from the environment). Required when such an entry is listed; checked at start-up."),
    key: key(z.string(), "", "Private key file (PEM) of tls.cert; relative like tls.cert. Required with tls.cert."),
    ca: key(z.string(), "", "Optional file (PEM) of further CA certificates sent with tls.cert to complete its chain. \"\" = none."),
    passphrase: key(z.string(), "", "Passphrase of an encrypted tls.key. \"\" = the key is not encrypted."),
    handshake_timeout_ms: key(int(0, 3_600_000), 10_000,
      "How long a `tls://` or `https://` connection may take to finish its TLS handshake (milliseconds); one that has not by then is closed and counted (`tls.handshake_timeouts` in /status). Connections that never send a ClientHello would otherwise hold a file descriptor each for ever. 0 = no limit."),
    min_version: key(z.enum(["TLSv1.2", "TLSv1.3"]), "TLSv1.2" as const,
      "Oldest TLS version accepted: `TLSv1.2` or `TLSv1.3`. TLS 1.0 and 1.1 are never offered."),
    ciphers: key(z.string().min(1, "expected an OpenSSL cipher list such as \"ECDHE+AESGCM\""), TLS12_CIPHERS,
      "TLS 1.2 cipher suites, in OpenSSL cipher-list syntax (checked at start-up). The default offers only forward-secret AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305): no CBC, no SHA-1 MAC, no static-RSA key exchange. TLS 1.3 suites are all forward-secret AEAD and not configurable."),
  },
  status: {
    listen: key(statusUrl, "",
      "Status listener, `http://host:port` (port 0 picks a free one; the log says which): `/status` (JSON), `/metrics` (Prometheus text), `/healthz`, `/readyz`, `POST /reload`. Served by the master, apart from the data path. Requests must name it in `Host` (and `Origin`, if sent); an address other than loopback needs status.token. \"\" = off. See [status.md](status.md)."),
    token: key(z.string().regex(/^$|^[\x21-\x7e]{16,}$/, "expected at least 16 visible ASCII characters without spaces (e.g. from `openssl rand -hex 32`), or \"\""), "",
      "Bearer token of the status listener (`Authorization: Bearer <token>`): required for `POST /reload` when set, and for every endpoint when status.listen is not a loopback address (then it must be set, or grocketd refuses to start). Read at start; \"\" = none."),
  },
  access_log: {
    path: key(z.string(), "",
      "Access log: one line per HTTP request and per TCP connection (at close). A file (appended to, relative to the working directory), `-` for stdout, or \"\" = off. See [access-log.md](access-log.md)."),
    format: key(
      z.string().superRefine((v, ctx) => {
        const p = formatProblem(v);
        if (p !== null) ctx.addIssue({ code: "custom", message: p });
      }),
      "text",
      "`text` (space-separated fields, like nginx's combined), `json` (one object per line), or a template like nginx's `log_format`: text with `$variables` (`$remote_addr`, `$request`, `$status`, `$request_time`, `$http_user_agent`, `$request_id`, ...; see [access-log.md](access-log.md)). An unknown variable stops the start.",
    ),
    buffer_bytes: key(int(4 * KiB, 1024 * MiB), 1 * MiB,
      "Per I/O thread: most unwritten access log bytes held in memory. When the disk or stdout cannot keep up, further lines are dropped and counted (`grocketd_access_log_dropped_total`), never waited for."),
    flush_ms: key(int(10, 60_000), 250, "Per I/O thread: how often buffered access log lines are written (milliseconds); 64 KiB of lines are written at once."),
  },
  pubsub: {
    redis: key(z.string().regex(/^(rediss?:\/\/\S+)?$/, 'expected "redis://host:port" (or rediss://) or "" (off)'), "",
      "Bridge topics across grocketd instances through Redis pub/sub (`redis://host:port`, Bun's built-in client): one subscription per topic per process, reconnect with back-off, local delivery unaffected while Redis is down (publishes made meanwhile are counted as `pubsub.dropped.broker_down`). \"\" = off. With server.processes > 1 each process bridges itself (the master relay is not used)."),
    ring_bytes: key(int(64 * KiB, 1024 * MiB), 1 * MiB,
      "Size of each ring between two I/O threads of a process (one per direction per pair, only with io.threads > 1), carrying `ctx.send` to another thread's connection and topic publishes. A full ring drops the record and counts it (`pubsub.dropped.ring_full`); a publish must fit one record."),
  },
  ws: {
    deflate: key(z.boolean(), false,
      "permessage-deflate (RFC 7692) for clients that offer it: messages of 128 bytes or more are sent compressed, compressed messages are inflated (at most ws.max_message_bytes, else close 1009). Always without context takeover either way, so no zlib state is kept per connection between messages; costs CPU per message. false = not negotiated (a compressed frame is refused with 1002)."),
    max_message_bytes: key(int(125, 1024 * MiB), 1 * MiB,
      "Largest WebSocket message (bytes; fragments of one message count together); larger → close 1009 (RFC 6455 §7.4.1), refused as soon as a frame header announces it. Bounds what one connection may make the server hold."),
    idle_timeout_ms: key(int(0, 86_400_000), 120_000,
      "A WebSocket connection from which nothing (not even a pong) was read for this long is closed with 1001 (milliseconds). With ws.ping_interval_ms a live client answers the pings, so only a dead or stalled one is closed. 0 = no limit."),
    ping_interval_ms: key(int(0, 86_400_000), 30_000,
      "After this long without reading anything from a WebSocket client, the server sends it a ping (milliseconds); its pong counts as activity for ws.idle_timeout_ms. 0 = no automatic pings."),
    close_timeout_ms: key(int(0, 3_600_000), 5_000,
      "After the server sends a close frame, how long it waits for the client's close frame before cutting the connection (milliseconds). 0 = do not wait."),
    upgrade_timeout_ms: key(int(1, 3_600_000), 10_000,
      "How long an asynchronous `websocket.upgrade` hook (one that returns a Promise) may take before the upgrade is refused with 503 (milliseconds); the connection reads nothing meanwhile."),
  },
} satisfies Record<string, Record<string, KeySpec<any>>>;

export type ConfigKeys = typeof configKeys;
export type SectionName = keyof ConfigKeys;

type ValueOf<S> = S extends KeySpec<infer T> ? T : never;

/** The validated configuration every part of the runtime reads. Plain data: it crosses to workers by postMessage. */
export type Config = { -readonly [S in SectionName]: { -readonly [K in keyof ConfigKeys[S]]: ValueOf<ConfigKeys[S][K]> } } & {
  /** Modules' own sections `[modules.<name>]`, validated by each module's `configSchema` (module/manifest.ts). */
  modules: ModuleSections;
};

/** `[modules.<name>]` tables: not in the key table, because each module brings its own schema. */
export type ModuleSections = Record<string, Record<string, unknown>>;

/** One source's contribution: any subset of sections and keys. */
export type ConfigLayer = { [S in SectionName]?: Partial<Config[S]> } & { modules?: ModuleSections };

export function sectionNames(): SectionName[] {
  return Object.keys(configKeys) as SectionName[];
}

export function keysOf(section: SectionName): Record<string, KeySpec> {
  return configKeys[section] as Record<string, KeySpec>;
}

export function defaultConfig(): Config {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of sectionNames()) {
    out[s] = {};
    for (const [k, spec] of Object.entries(keysOf(s))) out[s][k] = structuredClone(spec.default);
  }
  out.modules = {};
  return out as Config;
}
