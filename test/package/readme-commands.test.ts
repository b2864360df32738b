// Every command in the README runs as written, as far as a test can tell without running them all: each file a
// shell command names (a repository path, `--module`/`-m`/`--config`/`-f` values, curl's `@file`) exists, each
// `npm run X` / `bun run X` is a script in package.json, and each relative Markdown link points at a file. Shell
// commands are the lines of ```sh blocks and inline code spans that start with a command. Also: the README's first
// screen gives the two set-up commands, and the README's examples and every module in modules/ import the runtime
// as a user's module does, from "grocketd" (never a path into src/).
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const README = readFileSync(resolve(ROOT, "README.md"), "utf8");
const scripts = Object.keys(JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")).scripts as Record<string, string>);

/** Paths that commands in the README create or that belong to the reader's machine, not to the repository. */
const MADE_BY_COMMANDS = [/^\.?\/?dist\//, /^\/etc\//, /^\/opt\//, /^\/usr\//, /^\/var\//, /^logs\//, /^\/tmp\//];
const COMMANDS = /^(npm|npx|bun|bunx|curl|printf|nc|docker|kubectl|systemctl|sudo|cp|install|\.\/dist\/grocketd|grocketd|kill|node_modules\/\.bin\/grocketd)\b/;

export function shellLines(md: string): string[] {
  const lines: string[] = [];
  for (const m of md.matchAll(/```(sh|bash|shell)\n([\s\S]*?)```/g)) {
    // join continued lines, drop comments
    for (const l of m[2]!.replace(/\\\n\s*/g, " ").split("\n")) {
      const code = l.replace(/\s+#\s.*$/, "").trim();
      if (code !== "" && !code.startsWith("#")) lines.push(code);
    }
  }
  const prose = md.replace(/```[\s\S]*?```/g, "");
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) if (COMMANDS.test(m[1]!)) lines.push(m[1]!);
  return lines;
}

/** Shell words, with quotes removed; `a | b && c` splits into separate commands. */
function commands(line: string): string[][] {
  return line.split(/\s*(?:\|\||&&|\||;)\s*/).map((c) => [...c.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((w) => w[1] ?? w[2] ?? w[3]!));
}

export function namedFiles(line: string): string[] {
  const out: string[] = [];
  for (const words of commands(line)) {
    words.forEach((w, i) => {
      const prev = words[i - 1];
      if (prev === "--module" || prev === "-m" || prev === "--config" || prev === "-f" || prev === "--env-file") out.push(w);
      else if (w.startsWith("@") && w !== "@-" && words[0] === "curl") out.push(w.slice(1));
      else if (/^(\.\/)?(modules|src|docs|deploy|bin|test|bench)\/[\w./-]+$/.test(w)) out.push(w);
    });
  }
  return out.filter((f) => !MADE_BY_COMMANDS.some((re) => re.test(f)) && !f.includes("://"));
}

/** Files the README's own commands make (`cp SRC DST`), so a later command may name them. */
function copied(lines: string[]): Set<string> {
  return new Set(lines.flatMap((l) => commands(l).filter((w) => w[0] === "cp" && w.length >= 3).map((w) => w[w.length - 1]!)));
}

/** The first screen of the README (its first 25 lines) and the commands of the first shell block there. */
export function firstScreenCommands(md: string): string[] {
  const screen = md.split("\n").slice(0, 25).join("\n");
  const block = /```(?:sh|bash|shell)\n([\s\S]*?)```/.exec(screen);
  return block === null ? [] : shellLines("```sh\n" + block[1]! + "```");
}

/** Import specifiers of a TypeScript text that reach grocketd's own sources by path instead of "grocketd". */
export function runtimeByPath(ts: string): string[] {
  return [...ts.matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/g)]
    .map((m) => m[1] ?? m[2]!)
    .filter((spec) => /(^|\/)src(\/|$)/.test(spec));
}

describe("README first screen and examples", () => {
  test("the first screen gives exactly the two set-up commands (and the check sees a third)", () => {
    expect(firstScreenCommands(README)).toEqual(["npm ci && npm run grocketd", "npm ci && npm test"]);
    expect(firstScreenCommands("# x\n```sh\nnpm ci\nnpm run build\nnpm test\n```\n")).toHaveLength(3);
  });

  test("README's TypeScript examples and every module in modules/ import the runtime from \"grocketd\"", () => {
    const examples = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(examples.filter((e) => /["']grocketd["']/.test(e)).length).toBeGreaterThan(0);
    const modules = readdirSync(resolve(ROOT, "modules")).filter((f) => f.endsWith(".ts"));
    expect(modules.length).toBeGreaterThan(3);
    const bad = [
      ...examples.flatMap((e, i) => runtimeByPath(e).map((spec) => `README example ${i + 1}: ${spec}`)),
      ...modules.flatMap((f) => runtimeByPath(readFileSync(resolve(ROOT, "modules", f), "utf8")).map((spec) => `modules/${f}: ${spec}`)),
    ];
    expect(bad).toEqual([]);
    for (const f of modules) {
      const text = readFileSync(resolve(ROOT, "modules", f), "utf8");
      // a module imports the runtime itself, or a library module beside it that does
      expect(/from\s+["']grocketd["']/.test(text) || /from\s+["']\.\/[\w-]+\.ts["']/.test(text)).toBe(true);
    }
    expect(runtimeByPath(`import { defineModule } from "../src/index.ts";\nconst m = await import("../../src/index.ts");`)).toEqual(["../src/index.ts", "../../src/index.ts"]);
  });
});

describe("README commands", () => {
  const lines = shellLines(README);
  const made = copied(lines);

  test("the extraction sees the README's commands (and the check catches a missing file)", () => {
    expect(lines).toContain("npm ci && npm run grocketd");
    expect(lines.some((l) => l.startsWith("printf '%044d' 7 | curl --data-binary @- localhost:8080/binary"))).toBe(true);
    expect(namedFiles("curl --data-binary @kiss.bin localhost:8080/binary")).toEqual(["kiss.bin"]);
    expect(namedFiles("npm run grocketd -- -m modules/kv-store.ts --config deploy/grocketd.toml")).toEqual(["modules/kv-store.ts", "deploy/grocketd.toml"]);
  });

  test("every file a command names exists", () => {
    const missing = lines.flatMap((l) => namedFiles(l).filter((f) => !made.has(f) && !existsSync(resolve(ROOT, f))).map((f) => `${f}  (in: ${l})`));
    expect(missing).toEqual([]);
  });

  test("every npm run / bun run names a package.json script", () => {
    const named = lines.flatMap((l) => [...l.matchAll(/\b(?:npm|bun) run ([\w:-]+)/g)].map((m) => m[1]!));
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((n) => !scripts.includes(n))).toEqual([]);
  });

  test("every relative Markdown link points at a file", () => {
    const links = [...README.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((l) => !existsSync(resolve(dirname(resolve(ROOT, "README.md")), l)))).toEqual([]);
  });
});
