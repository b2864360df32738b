// `provides`, `requires` and `configSchema` are validated with the rest of the manifest, with the same precise
// errors: module file, dotted field path, what was expected, what was found — every problem at once.
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { isGrocketdError } from "../../src/errors.ts";
import { loadModule } from "../../src/module/load-module.ts";

const f = (name: string) => resolve(import.meta.dir, "../fixtures/modules", name);

describe("library fields of the manifest", () => {
  test("every mistake in provides / requires / configSchema is named with its field path", async () => {
    const file = f("bad-library.ts");
    let problems: readonly string[] = [];
    try {
      await loadModule(file);
    } catch (err) {
      if (!isGrocketdError(err)) throw err;
      expect(err.code).toBe("GRK_ERR_MODULE_MANIFEST");
      problems = err.problems;
    }
    const expected = [
      `field "provides.kv.version": expected a semver version like "1.2.3", got "one"`,
      `field "provides.kv.classes.Store.create": expected a function, got 3`,
      `field "provides.kv.classes.Store.singelton": unknown field (known: create, singleton, release)`,
      `field "provides.kv.classes.bad name": expected a class name like "Store" (letters, digits, "_", "$"), got "bad name"`,
      `field "requires.other": expected a semver range like "^1.0.0", got "whenever"`,
      `field "requires.no/slash": expected a library name of letters, digits, ".", "_" or "-" (1-64 characters), like "kv", got "no/slash"`,
      `field "configSchema": expected a zod object schema like z.object({ ... }), got {"max":3}`,
      `field "provides.grocketd": "grocketd" is the runtime's own library; a module cannot provide it`,
    ];
    expect([...problems].sort()).toEqual(expected.map((e) => `${file}: ${e}`).sort());
  });

  test("a module that only provides a library is valid without proc or http", async () => {
    const m = await loadModule(f("library-only.ts"));
    expect(Object.keys(m.def.provides ?? {})).toEqual(["util"]);
  });
});
