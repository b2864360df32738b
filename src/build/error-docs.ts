/**
 * @module build/error-docs
 * Renders docs/errors.md from the error table (src/error-table.ts), so the list of codes, statuses and messages
 * cannot drift from the code (test/architecture/error-codes.test.ts compares the file with this output).
 * `bun run docs:errors` rewrites the file.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ERROR_TABLE } from "../error-table.ts";

const SEEN: Readonly<Record<string, string>> = {
  start: "Stops a start, a reload or a command",
  module: "Thrown to module code, or handed to its `error` hook",
  log: "Logged where it happened",
  client: "Answered to the HTTP client (canned response, `Connection: close`)",
  internal: "grocketd misusing its own parts (a bug if you see one)",
};

const cell = (s: string): string => s.replaceAll("|", "\\|");

export function renderErrorDocs(): string {
  const out: string[] = [
    "# Error codes",
    "",
    "<!-- Generated from src/error-table.ts by `bun run docs:errors`; do not edit by hand. -->",
    "",
    "Every failure grocketd reports carries a stable `code` (`err.code` in module code and tests, `code` in JSON log",
    "lines and in a failed start's JSON report); the message carries the details and is made from the templates",
    "below (`%{name}` is filled in). Misuse errors thrown to module code are instances of the built-in class that fits",
    "(`TypeError`, `RangeError`, `Error`) with a `code`; the others are `GrocketdError`s (`isGrocketdError`). An error",
    "thrown on a handler thread keeps its class, code, message and stack when it reaches the I/O thread.",
    "",
  ];
  for (const [seen, title] of Object.entries(SEEN)) {
    const codes = Object.entries(ERROR_TABLE).filter(([, spec]) => spec.seen === seen);
    if (codes.length === 0) continue;
    out.push(`## ${title}`, "", "| code | status | meaning | messages |", "|---|---|---|---|");
    for (const [code, spec] of codes) {
      const status = "status" in spec ? String(spec.status) : "";
      const messages = Object.values(spec.messages as Readonly<Record<string, string>>).map((m) => "`" + cell(m) + "`");
      out.push(`| \`${code}\` | ${status} | ${cell(spec.meaning)} | ${messages.join("<br>")} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

export const ERROR_DOCS_PATH = resolve(import.meta.dir, "../../docs/errors.md");

if (import.meta.main) {
  writeFileSync(ERROR_DOCS_PATH, renderErrorDocs());
  console.log(`wrote ${ERROR_DOCS_PATH}`);
}
