// What threads and child processes import modules with (module/load-module.ts loadValidatedModule): the master has
// validated the manifest, so they do not validate it again — and do not load zod, whose loading and schemas were a
// large part of each thread's start-up — but a file that no longer exports the module the master validated is refused.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isGrocketdError } from "../../src/errors.ts";
import { loadValidatedModule } from "../../src/module/load-module.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-validated-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// A module that does not import "grocketd" itself, so only the loader could bring zod in.
const plain = join(dir, "plain.ts");
writeFileSync(plain, 'export default { name: "plain", version: "1.0.0", grocketd: "^0.1.0", proc: () => "x" };\n');

describe("loadValidatedModule", () => {
  test("returns the module the master named, without loading zod", () => {
    const loader = resolve(import.meta.dir, "../../src/module/load-module.ts");
    const code = `const { loadValidatedModule } = await import(${JSON.stringify(loader)}); const m = await loadValidatedModule({ file: ${JSON.stringify(plain)}, name: "plain" }); console.log(m.def.name, typeof m.def.proc, typeof globalThis.__zod_globalConfig);`;
    const p = Bun.spawnSync([process.execPath, "-e", code], { stdout: "pipe", stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    expect(p.stdout.toString().trim()).toBe("plain function undefined"); // zod's core sets __zod_globalConfig when loaded
  });

  test("a file that no longer exports the validated module is refused with GRK_ERR_MODULE_MANIFEST", async () => {
    const err = await loadValidatedModule({ file: plain, name: "renamed" }).then(() => null, (e: unknown) => e);
    expect(isGrocketdError(err)).toBe(true);
    expect((err as Error).message).toBe(`${plain}: it no longer exports module "renamed" (changed since the master validated it)`);
    const gone = await loadValidatedModule({ file: join(dir, "gone.ts"), name: "gone" }).then(() => null, (e: unknown) => e);
    expect((gone as Error).message).toContain("module file not found");
  });
});
