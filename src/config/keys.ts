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
    listen: key(z.array(listenUrl).min(1, "at least one listen URL is needed"), ["tcp://0.0.0.0:8000"],
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
export type Config = { -readonly [S in SectionName]: { -readonly [K in keyof ConfigKeys[S]]: ValueOf<ConfigKeys[S][K]> } };

/** One source's contribution: any subset of sections and keys. */
export type ConfigLayer = { [S in SectionName]?: Partial<Config[S]> };

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
  return out as Config;
}
