/**
 * @module config/config-docs
 * Renders docs/config.md from the key table, so the documentation of every key and its default cannot drift from
 * the schema (a test compares the file with this output). `bun src/config/config-docs.ts` rewrites the file.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { envVarName } from "./env.ts";
import { keysOf, sectionNames } from "./keys.ts";

function show(v: unknown): string {
  return "`" + (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)) + "`";
}

export function renderConfigDocs(): string {
  const out: string[] = [
    "# Configuration",
    "",
    "<!-- Generated from src/config/keys.ts by `bun src/config/config-docs.ts`; do not edit by hand. -->",
    "",
    "One TOML file (`--config FILE`, else `$GROCKETD_CONFIG`, else `./grocketd.toml` when it exists), validated at",
    "start-up: unknown keys and bad values stop the start with a message naming the key, the value and the file and line.",
    "",
    "Precedence, lowest first: defaults < module `config()` < file < environment (`GROCKETD_<SECTION>_<KEY>`) < flags.",
    "Lists in the environment are comma-separated (`GROCKETD_SERVER_LISTEN=tcp://0.0.0.0:8000,tcp://[::]:8001`).",
    "",
    "```toml",
    "[server]",
    'listen = ["tcp://0.0.0.0:8000"]',
    'modules = ["modules/echo.ts"]',
    "",
    "[io]",
    "threads = 2",
    "```",
    "",
  ];
  const mapping: string[] = [];
  for (const s of sectionNames()) {
    out.push(`## [${s}]`, "", "| key | default | environment | meaning |", "|---|---|---|---|");
    for (const [k, spec] of Object.entries(keysOf(s))) {
      out.push(`| \`${s}.${k}\` | ${show(spec.default)} | \`${envVarName(s, k)}\` | ${spec.doc} |`);
      if (spec.original) mapping.push(`| \`${spec.original}\` | \`${s}.${k}\` |`);
    }
    out.push("");
  }
  out.push(
    "## [modules.<name>]",
    "",
    "A module's own settings, in a table named after the module:",
    "",
    "```toml",
    "[modules.kv-store]",
    "max_keys = 10000",
    "```",
    "",
    "Each module declares its keys, types and defaults with a zod schema (`configSchema` in its manifest), and they are",
    "checked at start-up like the keys above: an unknown key or a bad value stops the start with the file, line, key and",
    "value. A section for a module that is not loaded, or that declares no schema, is refused. Modules read their section",
    "as `ctx.moduleConfig` (typed by the schema) or `ctx.grocketd.getInt(\"modules.<name>\", key, default)`. These",
    "sections come from the file (or a module's `config()`), not from environment variables or flags.",
    "",
  );
  out.push("## Keys of the original grocket", "", "| grocket ini key | grocketd key |", "|---|---|", ...mapping, "");
  return out.join("\n");
}

export const CONFIG_DOCS_PATH = resolve(import.meta.dir, "../../docs/config.md");

if (import.meta.main) {
  writeFileSync(CONFIG_DOCS_PATH, renderConfigDocs());
  console.log(`wrote ${CONFIG_DOCS_PATH}`);
}
