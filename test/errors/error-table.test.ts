// The error table (src/error-table.ts) is the one place codes and messages are made: docs/errors.md is rendered from
// it, every code and every message template in it is used by src/, and src/ makes no error without a code except
// the few listed below, each one that never reaches module code (the list only shrinks: a listed one that is gone
// fails too, as UPWARD in test/architecture/imports.test.ts).
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { ERROR_TABLE } from "../../src/error-table.ts";
import { errorMessage, grocketdError, isGrocketdError } from "../../src/errors.ts";

const SRC = resolve(import.meta.dir, "../../src");

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** src/ file (relative) → its text without comments (a code named in a comment is not a use). */
const SOURCES = new Map(
  walk(SRC).map((f) => [relative(SRC, f), readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")]),
);

/** Errors made without a code, each with why it never reaches module code or a client. `file: the start of the call`. */
const UNCODED: readonly string[] = [
  // Caught a line below and reported as GRK_ERR_LLHTTP_BINARY (its message becomes part of that one).
  "http/llhttp/wasm-loader.ts: new Error(`no \\`binaryString = \"<base64>\"\\` in ${f",
];

/** Every `new Error(`, `new TypeError(`, `new RangeError(` and `new GrocketdError(` in src/, as `file: call`. */
function uncodedSites(): string[] {
  const out: string[] = [];
  for (const [file, text] of SOURCES) {
    if (file === "errors.ts") continue; // the constructors themselves, and errorFromWire rebuilding a thread's error
    for (const m of text.matchAll(/new (Error|TypeError|RangeError|SyntaxError|GrocketdError)\(([^\n]{0,40})/g)) {
      if (file === "ring/ring-errors.ts" && m[1] === "GrocketdError") continue;
      out.push(`${file}: new ${m[1]}(${m[2]!.trim()}`);
    }
  }
  return out.sort();
}

describe("the error table", () => {
  test("docs/errors.md is rendered from it", async () => {
    const { renderErrorDocs, ERROR_DOCS_PATH } = await import("../../src/build/error-docs.ts");
    expect(await Bun.file(ERROR_DOCS_PATH).text()).toBe(renderErrorDocs());
  });

  test("every code is used in src/, and every message template by a file that names its code", () => {
    const unused: string[] = [];
    for (const [code, spec] of Object.entries(ERROR_TABLE)) {
      if (spec.seen === "client") {
        // A canned rejection is used by its status (http/http-errors.ts maps status → code): some HTTP file answers it.
        const answered = [...SOURCES].some(([file, text]) => file.startsWith("http/") && !/http-errors|status-text/.test(file) && new RegExp(`\\b${spec.status}\\b`).test(text));
        if (!answered) unused.push(code);
        continue;
      }
      const users = [...SOURCES].filter(([file, text]) => file !== "error-table.ts" && text.includes(`"${code}"`));
      if (users.length === 0) unused.push(code);
      for (const name of Object.keys(spec.messages)) {
        if (!users.some(([, text]) => text.includes(`"${name}"`))) unused.push(`${code} ${name}`);
      }
    }
    expect(unused).toEqual([]);
  });

  test("codes are GRK_ERR_ or GRK_HTTP_ names, and every template parameter is a plain name", () => {
    for (const [code, spec] of Object.entries(ERROR_TABLE)) {
      expect(code).toMatch(/^GRK_(ERR|HTTP)_[A-Z0-9_]+$/);
      for (const t of Object.values(spec.messages as Readonly<Record<string, string>>)) {
        expect(t.replace(/%\{\w+\}/g, "")).not.toContain("%{");
      }
    }
  });

  test("src/ makes no error without a code except the listed ones", () => {
    expect(uncodedSites()).toEqual([...UNCODED].sort());
  });

  test("a message is its template with the parameters put in; a list of problems becomes `problems`", () => {
    expect(errorMessage("GRK_ERR_STATUS", "listen", { url: "http://0.0.0.0:80", reason: "EACCES" })).toBe("status.listen: cannot listen on http://0.0.0.0:80: EACCES");
    const err = grocketdError("GRK_ERR_CONFIG", "problems", { problems: ["a: bad", "b: bad"] }, { cause: 1 });
    expect(isGrocketdError(err)).toBe(true);
    expect(err.code).toBe("GRK_ERR_CONFIG");
    expect(err.message).toBe("a: bad\nb: bad");
    expect(err.problems).toEqual(["a: bad", "b: bad"]);
    expect(err.cause).toBe(1);
    expect(grocketdError("GRK_ERR_THREAD_START", "thread", { label: "io", index: 0, reason: "x" }, { code: "GRK_ERR_ELSEWHERE" }).code).toBe("GRK_ERR_ELSEWHERE");
  });
});
