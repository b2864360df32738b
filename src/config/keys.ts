/**
 * @module config/keys
 * Every configuration key in one table: its zod type, its default, and the sentence that documents it. The zod
 * schemas (config/schema.ts), the environment mapping (config/env.ts) and docs/config.md are all derived from here,
 * so a key cannot exist in one place and be missing from another.
 */
import { z } from "zod";
import { parseListenUrl } from "./listen-url.ts";

export interface KeySpec<T = unknown> {
  readonly schema: z.ZodType<T>;
  readonly default: T;
  readonly doc: string;
  /** The original grocket ini key this replaces, for the mapping table in the docs. */
  readonly original?: string;
}

function key<T>(schema: z.ZodType<T>, def: T, doc: string, original?: string): KeySpec<T> {
  return { schema, default: def, doc, original };
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const KiB = 1024;
const MiB = 1024 * KiB;

const listenUrl = z.string().superRefine((v, ctx) => {
  const r = parseListenUrl(v);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
});

export const configKeys = {
  server: {
    listen: key(z.array(listenUrl).min(1, "at least one listen URL is needed"), ["tcp://0.0.0.0:8000", "http://0.0.0.0:8080"],
      "Listen URLs: `tcp://host:port`, `udp://host:port`, `http://host:port`; add `?module=name` when several modules are loaded. Port 0 picks a free port (shared by all threads).",
      "[listen] 0..15"),
    modules: key(z.array(z.string().min(1)), [],
      "Module files to load (paths relative to the config file). Empty: the bundled demo `modules/echo.ts`.", "server.module"),
    drain_ms: key(int(0, 3_600_000), 5000,
      "On SIGTERM/SIGINT: how long in-flight replies may take before connections are cut (milliseconds)."),
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
      "Close a connection with no reads, no write progress and no pending reply for this long (milliseconds). 0 = never."),
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
      "Time allowed to receive a whole request head once it has begun (milliseconds); exceeded → 408 and close. 0 = no limit."),
    body_timeout_ms: key(int(0, 3_600_000), 30_000,
      "Longest pause between two reads of a request body (milliseconds); exceeded → 408 and close. 0 = no limit."),
    keep_alive_timeout_ms: key(int(0, 3_600_000), 15_000,
      "How long an idle keep-alive connection waits for its next request (milliseconds) before it is closed. 0 = no limit (io.idle_timeout_ms still applies)."),
    max_requests_per_connection: key(int(0, 1_000_000_000), 0,
      "Close a keep-alive connection after this many requests (`Connection: close` on the last). 0 = unlimited."),
    binary_path: key(z.string().regex(/^(\/\S*)?$/, "expected an absolute path like \"/binary\" or \"\" to turn it off"), "/binary",
      "POSTs to this path are binary over HTTP: the body is framed by the module's `check` and each packet answered by `proc`; the replies, concatenated, are the response body. \"\" turns it off."),
    server_header: key(z.string().regex(/^[\x21-\x7e][\x20-\x7e]*$|^$/, "expected visible ASCII"), "grocketd",
      "Value of the `Server` response header; \"\" leaves the header out."),
  },
  log: {
    level: key(z.enum(["debug", "info", "warn", "error", "silent"]), "info" as const, "Lowest level written: debug, info, warn, error or silent.",
      "log.level"),
    format: key(z.enum(["text", "json"]), "text" as const, "`text` (one readable line) or `json` (one object per line)."),
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
