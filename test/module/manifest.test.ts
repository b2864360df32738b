// Module manifests are validated at load: each error names the module file, the field and what was expected.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isGrocketdError } from "../../src/errors.ts";
import { loadModule, loadModules } from "../../src/module/load-module.ts";
import { isSemverRange } from "../../src/module/semver.ts";

const FIX = resolve(import.meta.dir, "../fixtures/modules");
const f = (name: string) => resolve(FIX, name);

async function refusal(paths: string | string[]): Promise<{ code: string; message: string; problems: readonly string[] }> {
  try {
    if (Array.isArray(paths)) await loadModules(paths);
    else await loadModule(paths);
  } catch (err) {
    if (isGrocketdError(err)) return { code: err.code, message: err.message, problems: err.problems };
    throw err;
  }
  throw new Error("expected the module to be refused");
}

describe("module manifest", () => {
  test("a valid module loads", async () => {
    const m = await loadModule(resolve(import.meta.dir, "../../modules/kiss-check.ts"));
    expect(m.def.name).toBe("kiss-check");
  });

  test("bad version: names file, field and expectation", async () => {
    const r = await refusal(f("bad-version.ts"));
    expect(r.code).toBe("GRK_ERR_MODULE_MANIFEST");
    expect(r.message).toBe(`${f("bad-version.ts")}: field "version": expected a semver version like "1.2.3", got "one"`);
  });

  test("no proc, no http and no fetch", async () => {
    const r = await refusal(f("no-proc.ts"));
    expect(r.message).toBe(`${f("no-proc.ts")}: field "proc": a module needs a proc, an http or a fetch hook, it has none`);
  });

  test("unknown field (a typo) is named, with the known fields", async () => {
    const r = await refusal(f("typo-field.ts"));
    expect(r.message).toContain(`${f("typo-field.ts")}: field "procc": unknown field (known: name, version, grocketd`);
  });

  test("a hook that is not a function", async () => {
    const r = await refusal(f("hook-not-function.ts"));
    expect(r.message).toContain(`field "proc": expected a function, got "echo"`);
  });

  test("grocketd API range not satisfied: names the range and the running API version", async () => {
    const r = await refusal(f("future-api.ts"));
    expect(r.code).toBe("GRK_ERR_MODULE_VERSION");
    expect(r.message).toBe(`${f("future-api.ts")}: field "grocketd": module "future" requires grocketd module API ^9.0.0, this grocketd provides 0.1.0`);
  });

  test("a nonsense range is refused (Bun.semver.satisfies would accept it)", async () => {
    expect(Bun.semver.satisfies("0.1.0", "whenever")).toBe(true); // the reason for our own check
    const r = await refusal(f("bad-range.ts"));
    expect(r.message).toContain(`field "grocketd": expected a semver range like "^0.1.0", got "whenever"`);
    for (const ok of ["^0.1.0", ">=0.1 <1", "0.x || 1.x", "1.2.3 - 1.4", "*", "~0.1.2", ">= 1.2.0"]) expect(isSemverRange(ok)).toBe(true);
    for (const bad of ["", "abc", "^y", "1.2.3.4", ">>1", "1 ||"]) expect(isSemverRange(bad)).toBe(false);
  });

  test("no default export / import failure / missing file", async () => {
    expect((await refusal(f("not-a-module.ts"))).message).toContain("the default export must be a module made with defineModule");
    expect((await refusal(f("import-throws.ts"))).message).toMatch(/cannot import module: module body exploded/);
    expect((await refusal(f("missing.ts"))).message).toContain("module file not found");
  });

  test("loading several modules reports every bad one at once, and duplicate names", async () => {
    const r = await refusal([f("bad-version.ts"), f("no-proc.ts"), f("thread-id.ts"), f("thread-id.ts")]);
    expect(r.problems).toHaveLength(3);
    expect(r.problems[2]).toContain(`module name "thread-id" is also used by`);
  });
});

describe("import failures name the place", () => {
  const dir = mkdtempSync(join(tmpdir(), "grk-syntax-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a syntax error is reported as file:line:col with the line (written at test time: tsc checks fixtures)", async () => {
    const file = join(dir, "syntax-error.ts");
    writeFileSync(file, 'export default {\n  name: "broken",\n  proc: (p: Uint8Array) => p +* 2,\n};\n');
    const r = await refusal(file);
    expect(r.code).toBe("GRK_ERR_MODULE_IMPORT");
    expect(r.message).toContain(`cannot import module: ${file}:3:31: Unexpected *`);
    expect(r.message).toContain("(proc: (p: Uint8Array) => p +* 2,)");
  });

  test("an error thrown by the module body names the frame it came from", async () => {
    expect((await refusal(f("import-throws.ts"))).message).toMatch(/module body exploded \(at .*import-throws\.ts:1:\d+\)/);
  });
});
