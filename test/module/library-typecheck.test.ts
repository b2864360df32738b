// Typed library access is checked by the compiler: library-typed-access.ts must compile (each of its
// `@ts-expect-error` misuses really is an error, else the directive itself fails), and the same file with the
// directives removed must fail with exactly those errors. One tsc run on just those two files (each error line
// names its file, so the two are told apart): most of its time is checking src/, which one run does once.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const TSC = join(ROOT, "node_modules/.bin/tsc");
const SOURCE = join(import.meta.dir, "library-typed-access.ts");
const dir = mkdtempSync(join(tmpdir(), "grocketd-tsc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The project's compiler options, for just the given files. */
function project(name: string, files: string[]): string {
  const options = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")).compilerOptions;
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify({ compilerOptions: { ...options, typeRoots: [join(ROOT, "node_modules")] }, files }));
  return p;
}

async function tsc(tsconfig: string): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([TSC, "--noEmit", "-p", tsconfig], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out: out + err };
}

describe("typed library access", () => {
  test("compiles, and every marked misuse is a compile error", async () => {
    const text = readFileSync(SOURCE, "utf8");
    const misuses = text.split("\n").filter((l) => l.trimStart().startsWith("// @ts-expect-error")).length;
    const stripped = text
      .replace(/^\s*\/\/ @ts-expect-error.*$/gm, "")
      .replaceAll(`"../../src/index.ts"`, JSON.stringify(join(ROOT, "src/index.ts")))
      .replaceAll(`"../../modules/kv-store.ts"`, JSON.stringify(join(ROOT, "modules/kv-store.ts")));
    writeFileSync(join(dir, "misuse.ts"), stripped);
    const bad = await tsc(project("both.json", [SOURCE, join(dir, "misuse.ts")]));
    expect(bad.code).not.toBe(0);
    const errors = bad.out.split("\n").filter((l) => l.includes("error TS"));
    // library-typed-access.ts compiles: no error of any other file (an unused @ts-expect-error would be one).
    expect(errors.filter((l) => !l.includes("misuse.ts("))).toEqual([]);
    expect(errors).toHaveLength(misuses);
    expect(bad.out).toContain(`Argument of type '"View"' is not assignable to parameter of type '"Store"'`);
    expect(bad.out).toContain(`Property 'put' does not exist on type 'Store'`);
    expect(bad.out).toContain(`Property 'limt' does not exist`);
  }, 120_000); // tsc has taken ~60 s of wall time on a loaded 2-core machine
});
