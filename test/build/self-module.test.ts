// src/self-module.ts is what "grocketd" is for a module run by the single binary or the pre-bundled runtime: the
// values of src/index.ts, with a `z` that loads zod only when first used (so an I/O thread whose modules declare no
// configSchema never loads zod). Its export list must stay src/index.ts's, and its `z` must be zod itself to use.
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import * as index from "../../src/index.ts";
import * as self from "../../src/self-module.ts";

const SELF = resolve(import.meta.dir, "../../src/self-module.ts");

describe("self module", () => {
  test("exports the same values as src/index.ts (plus its lazyNamespace helper)", () => {
    expect(Object.keys(self).filter((k) => k !== "lazyNamespace").sort()).toEqual(Object.keys(index).sort());
    for (const k of Object.keys(index).filter((k) => k !== "z")) expect(self[k as keyof typeof self]).toBe(index[k as keyof typeof index]);
  });

  test("its z is zod: schemas made with it parse, fail, and are zod's own classes", () => {
    const schema = self.z.object({ prefix: self.z.string().default("line"), n: self.z.number().int() });
    expect(schema.parse({ n: 3 })).toEqual({ prefix: "line", n: 3 });
    expect(schema.safeParse({ n: 1.5 }).success).toBe(false);
    expect(schema).toBeInstanceOf(index.z.ZodObject);
    expect(Object.keys(self.z).sort()).toEqual(Object.keys(index.z).sort());
    expect("object" in self.z).toBe(true);
  });

  test("importing it does not load zod; the first use of z does", () => {
    // zod's core sets globalThis.__zod_globalConfig when it loads.
    const code = `const m = await import(${JSON.stringify(SELF)}); const before = typeof globalThis.__zod_globalConfig; m.z.string(); console.log(before, typeof globalThis.__zod_globalConfig);`;
    const p = Bun.spawnSync([process.execPath, "-e", code], { stdout: "pipe", stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    expect(p.stdout.toString().trim()).toBe("undefined object");
  });
});
