/**
 * @module config/env
 * `GROCKETD_<SECTION>_<KEY>` environment variables as a config layer (`GROCKETD_IO_THREADS=4`,
 * `GROCKETD_SERVER_LISTEN=tcp://0.0.0.0:9000,http://0.0.0.0:9080`). Strings are converted by the type of the key's
 * default, so the schema still judges the result and an error shows the variable and its raw text.
 */
import { keysOf, sectionNames, type ConfigLayer } from "./keys.ts";

const PREFIX = "GROCKETD_";
/** Variables with the prefix that are not config keys. */
// GROCKETD_BUN is read by bin/grocketd (which Bun to exec, with the environment intact); GROCKETD_STARTUP_TRACE by
// log/startup-trace.ts; GROCKETD_NO_BUNDLE by src/launch.ts.
const NOT_KEYS = new Set(["GROCKETD_CONFIG", "GROCKETD_BUN", "GROCKETD_STARTUP_TRACE", "GROCKETD_NO_BUNDLE"]);

export interface EnvLayer {
  layer: Record<string, Record<string, unknown>>;
  /** dotted key → variable name, for error messages. */
  varOf: Map<string, string>;
  /** Variables with our prefix that name no key. */
  unknown: string[];
}

export function envVarName(section: string, key: string): string {
  return `${PREFIX}${section}_${key}`.toUpperCase();
}

function convert(raw: string, like: unknown): unknown {
  if (Array.isArray(like)) return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (typeof like === "number") return /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof like === "boolean") {
    const v = raw.trim().toLowerCase();
    if (v === "true" || v === "1" || v === "yes") return true;
    if (v === "false" || v === "0" || v === "no") return false;
    return raw;
  }
  return raw;
}

export function envLayer(env: Record<string, string | undefined>): EnvLayer {
  const byVar = new Map<string, [string, string, unknown]>();
  for (const s of sectionNames()) for (const [k, spec] of Object.entries(keysOf(s))) byVar.set(envVarName(s, k), [s, k, spec.default]);
  const layer: Record<string, Record<string, unknown>> = {};
  const varOf = new Map<string, string>();
  const unknown: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || raw === undefined || NOT_KEYS.has(name)) continue;
    const target = byVar.get(name);
    if (!target) {
      unknown.push(name);
      continue;
    }
    const [s, k, like] = target;
    (layer[s] ??= {})[k] = convert(raw, like);
    varOf.set(`${s}.${k}`, name);
  }
  return { layer: layer as ConfigLayer as Record<string, Record<string, unknown>>, varOf, unknown };
}
