// Modules' own config sections [modules.<name>]: validated at start-up by the module's configSchema, with errors that
// name the file, line, key and value like every other config problem; sections of unknown modules are refused.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CliOptions } from "../../src/cli/args.ts";
import { isGrocketdError } from "../../src/errors.ts";
import { buildStartPlan } from "../../src/master/start-plan.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-modsec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIX = resolve(import.meta.dir, "../fixtures/modules");
const WITH_SCHEMA = join(FIX, "with-schema.ts");
const KV = resolve(import.meta.dir, "../../modules/kv-store.ts");

function cli(config: string, modules = [WITH_SCHEMA, KV]): CliOptions {
  return { config, modules, listen: ["tcp://127.0.0.1:0?module=with-schema"], check: true, help: false, version: false };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function problems(c: CliOptions): Promise<string[]> {
  try {
    await buildStartPlan(c, {}, dir);
  } catch (err) {
    if (isGrocketdError(err)) return [...err.problems];
    throw err;
  }
  throw new Error("expected the plan to be refused");
}

describe("module config sections", () => {
  test("a valid section is parsed by the module's schema, defaults applied; other modules get their defaults", async () => {
    const cfg = file("ok.toml", `[modules.with-schema]\ndir = "/srv"\nmax_items = 5\n\n[modules.kv-store]\nmax_keys = 3\n`);
    const plan = await buildStartPlan(cli(cfg), {}, dir);
    expect(plan.config.modules).toEqual({ "with-schema": { dir: "/srv", max_items: 5, verbose: false }, "kv-store": { max_keys: 3 } });
    const only = await buildStartPlan(cli(file("only.toml", `[modules.with-schema]\ndir = "/x"\n`)), {}, dir);
    expect(only.config.modules["kv-store"]).toEqual({ max_keys: 10_000 });
  });

  test("a bad value names the file, line, key, value and what was expected", async () => {
    const cfg = file("bad.toml", `[io]\nthreads = 1\n[modules.with-schema]\ndir = "/srv"\nmax_items = 0\nverbose = "yes"\n`);
    const p = await problems(cli(cfg));
    expect(p).toHaveLength(2);
    expect(p[0]).toBe(`${cfg} line 5: modules.with-schema.max_items = 0: Too small: expected number to be >=1`);
    expect(p[1]).toBe(`${cfg} line 6: modules.with-schema.verbose = "yes": Invalid input: expected boolean, received string`);
  });

  test("a typo in a module's key is an unknown key, with the known keys", async () => {
    const cfg = file("typo.toml", `[modules.kv-store]\nmax_key = 3\n[modules.with-schema]\ndir = "/srv"\n`);
    expect(await problems(cli(cfg))).toEqual([`${cfg} line 2: modules.kv-store.max_key: unknown key; known keys in [modules.kv-store]: max_keys`]);
  });

  test("a section of a module that is not loaded, or that declares no schema, is refused", async () => {
    const cfg = file("unknown.toml", `[modules.with-schema]\ndir = "/srv"\n\n[modules.nope]\nx = 1\n\n[modules.thread-id]\ny = 2\n`);
    const p = await problems(cli(cfg, [WITH_SCHEMA, join(FIX, "thread-id.ts")]));
    expect(p).toEqual([
      `${cfg} line 4: modules.nope: unknown section: no loaded module is named "nope" (sections of loaded modules: [modules.with-schema])`,
      `${cfg} line 7: modules.thread-id: unknown section: module "thread-id" (${join(FIX, "thread-id.ts")}) declares no configSchema (sections of loaded modules: [modules.with-schema])`,
    ]);
  });

  test("a required key that no source sets is reported with the module that needs it", async () => {
    const p = await problems(cli(file("missing.toml", `[io]\nthreads = 1\n`)));
    expect(p).toEqual([
      `modules.with-schema.dir: required by module "with-schema" (${WITH_SCHEMA}) but not set (add it under [modules.with-schema] in the config file): Invalid input: expected string, received undefined`,
    ]);
  });

  test("[modules] must hold tables; the problems come with every other problem at once", async () => {
    const cfg = file("shape.toml", `[io]\nthreads = -1\n[modules]\nloose = 1\n[modules.with-schema]\ndir = 7\n`);
    const p = await problems(cli(cfg));
    expect(p).toHaveLength(3);
    expect(p).toContain(`${cfg} line 2: io.threads = -1: Too small: expected number to be >=0`);
    expect(p.find((x) => x.includes("modules.loose"))).toMatch(/line 4: modules.loose = 1: expected a table \[modules.<name>\]/);
    expect(p).toContain(`${cfg} line 6: modules.with-schema.dir = 7: Invalid input: expected string, received number`);
  });
});
