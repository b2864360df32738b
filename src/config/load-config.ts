/**
 * @module config/load-config
 * Builds the configuration from its sources, in rising precedence: defaults < module `config()` < file <
 * `GROCKETD_*` environment < command-line flags. Each source is validated on its own so every problem names the
 * key, the bad value and where it came from (file and line, variable, flag); all problems are reported together.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { grocketdError, describeError } from "../errors.ts";
import { envLayer } from "./env.ts";
import { defaultConfig, sectionNames, type Config, type ConfigLayer } from "./keys.ts";
import { formatValue, validateLayer } from "./schema.ts";
import { locateKey, locateParseError } from "./toml-locate.ts";

/** One source of configuration, able to say where a given key came from. */
export interface ConfigSource {
  readonly raw: unknown;
  /** "grocketd.toml line 4", "environment GROCKETD_IO_THREADS", "flag --threads" */
  where(key: string): string;
}

export interface CheckedLayer {
  layer: ConfigLayer;
  problems: string[];
}

/**
 * Validates one source; returns a message per problem and the layer of its valid keys (so a bad `--threads` does
 * not hide the `--module` next to it, and `--check` can go on to report that module's problems too).
 */
export function checkSource(src: ConfigSource): CheckedLayer {
  const r = validateLayer(src.raw);
  if (r.ok) return { layer: r.layer, problems: [] };
  const bad = new Set(r.issues.map((i) => i.key.replace(/\[\d+\]$/, "")));
  const kept: Record<string, Record<string, unknown>> = {};
  for (const [s, sec] of Object.entries((src.raw ?? {}) as Record<string, unknown>)) {
    if (bad.has(s) || sec === null || typeof sec !== "object") continue;
    for (const [k, v] of Object.entries(sec as Record<string, unknown>)) if (!bad.has(`${s}.${k}`)) (kept[s] ??= {})[k] = v;
  }
  const again = validateLayer(kept);
  const problems = r.issues.map((i) =>
    i.unknownKey
      ? `${src.where(i.key)}: ${i.key}: ${i.message}`
      : `${src.where(i.key)}: ${i.key} = ${formatValue(i.value)}: ${i.message}`,
  );
  return { layer: again.ok ? again.layer : {}, problems };
}

export interface FileSource extends ConfigSource {
  readonly path: string;
}

/** Reads and parses a TOML config file; paths in `server.modules` and `tls.cert/key/ca` become absolute, relative to the file. */
export function readConfigFile(path: string): FileSource {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (err) {
    throw grocketdError("GRK_ERR_CONFIG_FILE", "unreadable", { file: abs, reason: describeError(err) }, { cause: err });
  }
  let raw: unknown;
  try {
    raw = Bun.TOML.parse(text);
  } catch (err) {
    const place = locateParseError(text);
    const msg = describeError(err).replace(/^TOML Parse error: /, "");
    const where = place === undefined ? "" : ` line ${place.line}${place.context === "" ? "" : ` (${place.context})`}`;
    throw grocketdError("GRK_ERR_CONFIG_FILE", "toml", { file: abs, where, reason: msg }, { cause: err });
  }
  const server = (raw as { server?: { modules?: unknown } }).server;
  if (server && Array.isArray(server.modules)) {
    server.modules = server.modules.map((m) => (typeof m === "string" && !isAbsolute(m) ? resolve(dirname(abs), m) : m));
  }
  // TLS files, like modules, are relative to the file that names them ("" = not set, left alone).
  const tls = (raw as { tls?: Record<string, unknown> }).tls;
  if (tls && typeof tls === "object") {
    for (const k of ["cert", "key", "ca"]) {
      const v = tls[k];
      if (typeof v === "string" && v !== "" && !isAbsolute(v)) tls[k] = resolve(dirname(abs), v);
    }
  }
  return {
    path: abs,
    raw,
    where: (key) => {
      const line = locateKey(text, key);
      return line ? `${abs} line ${line}` : abs;
    },
  };
}

export function envSource(env: Record<string, string | undefined>): { source: ConfigSource; problems: string[] } {
  const e = envLayer(env);
  const problems = e.unknown.map((v) => `environment ${v}: not a grocketd setting (GROCKETD_<SECTION>_<KEY>, see docs/config.md)`);
  return { source: { raw: e.layer, where: (key) => `environment ${e.varOf.get(key.replace(/\[\d+\]$/, "")) ?? "GROCKETD_*"}` }, problems };
}

/** Deep-merges layers over the defaults; later layers win, arrays are replaced, not concatenated. */
export function mergeLayers(layers: readonly ConfigLayer[]): Config {
  const out = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
  for (const layer of layers) {
    for (const s of sectionNames()) {
      const sec = (layer as Record<string, Record<string, unknown> | undefined>)[s];
      if (!sec) continue;
      for (const [k, v] of Object.entries(sec)) if (v !== undefined) out[s]![k] = structuredClone(v);
    }
  }
  return out as unknown as Config;
}
