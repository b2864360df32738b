/**
 * Platform probe (docs/platform-notes.md "Pre-bundled entries"): what src/build/build-dist.ts relies on when it
 * bundles the runtime for a faster start. In a temp dir it bundles a tiny program and reports:
 * - whether `--bytecode` works for an ESM bundle without `--compile`, and what a CJS bundle makes of import.meta;
 * - where a `with { type: "file" }` import points in an ESM bundle that is not compiled;
 * - whether a runtime plugin's virtual module wins over a package of the same name in node_modules, and whether a
 *   getter on its exports object runs at the import even when the importer does not name that export;
 * - what importing some node: built-ins costs a fresh process (median of 5 processes each, ms).
 *
 *   bun bench/platform/bundle-start.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "grk-bundle-"));
const run = (args: string[], cwd = dir) => {
  const p = Bun.spawnSync([process.execPath, ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: `${p.stdout.toString()}${p.stderr.toString()}`.trim() };
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  writeFileSync(join(dir, "asset.txt"), "asset\n");
  writeFileSync(join(dir, "main.ts"), [
    'import asset from "./asset.txt" with { type: "file" };',
    "console.log(`import.meta.dir=${import.meta.dir} file import=${asset}`);",
  ].join("\n"));
  const esmBytecode = run(["build", "--target", "bun", "--format", "esm", "--bytecode", "main.ts", "--outdir", "esm-bc"]);
  console.log(`ESM --bytecode without --compile: exit ${esmBytecode.code}: ${esmBytecode.out.split("\n").find((l) => /error/i.test(l)) ?? "ok"}`);
  for (const format of ["cjs", "esm"]) {
    const moved = join(dir, `moved-${format}`);
    mkdirSync(moved);
    run(["build", "--target", "bun", "--format", format, "main.ts", "--outdir", moved]);
    console.log(`${format} bundle in ${moved}: ${run(["main.js"], moved).out}`);
  }

  mkdirSync(join(dir, "node_modules/fakepkg"), { recursive: true });
  writeFileSync(join(dir, "node_modules/fakepkg/package.json"), '{"name":"fakepkg","version":"1.0.0","main":"index.js"}');
  writeFileSync(join(dir, "node_modules/fakepkg/index.js"), 'export const who = "node_modules";\n');
  writeFileSync(join(dir, "user.ts"), 'export { who } from "fakepkg";\n');
  writeFileSync(join(dir, "plugin.ts"), [
    'Bun.plugin({ name: "p", setup(b) { b.module("fakepkg", () => ({ exports: { who: "virtual" }, loader: "object" })); } });',
    'const path = "./user.ts";',
    "console.log(`import of fakepkg with a runtime plugin's virtual module: ${(await import(path)).who}`);",
  ].join("\n"));
  console.log(run(["plugin.ts"]).out);
  writeFileSync(join(dir, "getter.ts"), [
    "let calls = 0;",
    'Bun.plugin({ name: "p", setup(b) { b.module("fakepkg", () => ({ exports: { who: "virtual", get lazy() { calls++; return 1; } }, loader: "object" })); } });',
    'const path = "./user.ts";',
    "await import(path);",
    "console.log(`a getter on the virtual module's exports ran ${calls} time(s) at an import that names only another export`);",
  ].join("\n"));
  console.log(run(["getter.ts"]).out);

  for (const m of ["node:path", "node:url", "node:util", "node:crypto", "node:http", "node:tls", "zod"]) {
    const spec = m === "zod" ? Bun.resolveSync("zod", import.meta.dir) : m; // this repository's zod
    writeFileSync(join(dir, "imp.ts"), `const t = performance.now(); await import(${JSON.stringify(spec)}); console.log(performance.now() - t);`);
    const ms: number[] = [];
    for (let i = 0; i < 5; i++) ms.push(Number(run(["imp.ts"]).out));
    console.log(`import ${m.padEnd(12)} ${median(ms).toFixed(1)} ms`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
