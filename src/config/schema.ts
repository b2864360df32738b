/**
 * @module config/schema
 * The layer schema derived from the key table (every key optional, unknown keys rejected), used to validate each
 * source on its own, so an error can say which source gave the bad value. It is a description
 * (config/schema-shape.ts): a valid layer is accepted by config/fast-parse.ts without zod; any other goes to the zod
 * schema compiled from the same description (config/zod-compile.ts, loaded then), whose issues are reported.
 */
import type { z as Zod } from "zod";
import { fastParse } from "./fast-parse.ts";
import { keysOf, sectionNames, type ConfigLayer } from "./keys.ts";
import { z, type Shape } from "./schema-shape.ts";
import { valueAt } from "./value-at.ts";

let layerSchema: Shape<ConfigLayer> | undefined;

/** The description every config source is validated against (built on first use). */
export function getLayerSchema(): Shape<ConfigLayer> {
  return (layerSchema ??= buildLayerSchema());
}

/** How many layers zod has judged in this thread (those fast-parse did not accept): for tests of the fast path. */
export let zodLayerRuns = 0;

/** The real zod schema of a description; loads zod (a separate chunk in dist/bundle/) on first use. */
export function zodOf<T>(shape: Shape<T>): Zod.ZodType<T> {
  return (require("./zod-compile.ts") as typeof import("./zod-compile.ts")).toZod(shape);
}

function buildLayerSchema(): Shape<ConfigLayer> {
  const sections: Record<string, Shape> = {};
  for (const s of sectionNames()) {
    const shape: Record<string, Shape> = {};
    for (const [k, spec] of Object.entries(keysOf(s))) shape[k] = spec.schema.optional();
    sections[s] = z.strictObject(shape).optional();
  }
  // Modules' own sections: only their shape is checked here; their keys are checked against each module's
  // configSchema once the modules are loaded (config/module-sections.ts).
  const table = 'expected a table [modules.<name>] of the module\'s settings';
  sections.modules = z.record(z.string(), z.record(z.string(), z.unknown(), { message: table }), { message: table }).optional();
  return z.strictObject(sections) as unknown as Shape<ConfigLayer>;
}

export interface LayerIssue {
  /** Dotted key, e.g. "io.threads" ("" for the top level). */
  key: string;
  /** What was expected / what is wrong. */
  message: string;
  /** The offending value, when there is one. */
  value?: unknown;
  /** For unknown keys: the key itself is the problem. */
  unknownKey?: boolean;
}

/** Validates one layer; returns the typed layer or the list of issues (all of them, not only the first). */
export function validateLayer(raw: unknown): { ok: true; layer: ConfigLayer } | { ok: false; issues: LayerIssue[] } {
  const schema = getLayerSchema();
  const fast = fastParse(schema, raw);
  if (fast !== undefined) return { ok: true, layer: fast.value };
  zodLayerRuns++;
  const r = zodOf(schema).safeParse(raw);
  if (r.success) return { ok: true, layer: r.data };
  const issues: LayerIssue[] = [];
  for (const issue of r.error.issues) {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const section = path[0];
      for (const k of issue.keys) {
        const known = section === undefined ? [...sectionNames().map((s) => `[${s}]`), "[modules.<name>]"] : Object.keys(keysOf(section as never));
        issues.push({
          key: [...path, k].join("."),
          unknownKey: true,
          message: `unknown key; known ${section === undefined ? "sections" : `keys in [${section}]`}: ${known.join(", ")}`,
        });
      }
      continue;
    }
    // Array element errors (server.listen[1]) report the whole key plus the index.
    const keyPath = path.filter((p) => !/^\d+$/.test(p)).join(".");
    const idx = path.find((p) => /^\d+$/.test(p));
    issues.push({
      key: idx === undefined ? keyPath : `${keyPath}[${idx}]`,
      message: issue.message,
      value: valueAt(raw, issue.path),
    });
  }
  return { ok: false, issues };
}

export { formatValue } from "./value-at.ts";
