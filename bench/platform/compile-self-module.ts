/**
 * Platform probe (docs/platform-notes.md "Imports of the runtime from a single binary"): a `bun build --compile`
 * program imports a module from disk that does `import ... from "grocketd"`, with no node_modules anywhere. Tried
 * three ways — nothing, a Bun.plugin `onResolve` to the embedded `/$bunfs/root/lib.js`, a Bun.plugin
 * `build.module("grocketd")` virtual module — in the main thread and in a Worker that registers its own plugin; and,
 * built with and without `--splitting`, whether the embedded lib.js imported by path is the same module instance as
 * the one the main file imports statically. Writes two ~100 MB executables to a scratch directory and deletes them.
 *
 *   bun bench/platform/compile-self-module.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "grk-self-"));
const disk = join(dir, "disk");
mkdirSync(disk);
writeFileSync(join(disk, "user.ts"), 'import { tag } from "grocketd";\nexport default tag;\n');
writeFileSync(join(dir, "lib.ts"), 'export const tag = "embedded lib";\nexport class Box {}\n');
const register = `
import * as lib from "./lib.ts";
export async function tryImport(mode: string, file: string): Promise<string> {
  if (mode === "onResolve") Bun.plugin({ name: "p", setup(b) { b.onResolve({ filter: /^grocketd$/ }, () => ({ path: "/$bunfs/root/lib.js" })); } });
  if (mode === "module") Bun.plugin({ name: "p", setup(b) { b.module("grocketd", () => ({ exports: lib, loader: "object" })); } });
  try { return "ok: " + (await import(file)).default; } catch (e) { return "fails: " + String(e).split("\\n")[0]; }
}
export const libRef = lib;
`;
writeFileSync(join(dir, "register.ts"), register);
writeFileSync(join(dir, "w.ts"), 'import { tryImport } from "./register.ts";\nself.onmessage = async (e) => postMessage(await tryImport(e.data[0], e.data[1]));\n');
writeFileSync(
  join(dir, "main.ts"),
  `import { tryImport, libRef } from "./register.ts";
const [mode, file, where] = process.argv.slice(2);
const embedded = (name: string) => process.env.EMBEDDED + name; // not a literal: the bundler would resolve it
if (mode === "identity") {
  console.log("same class as the static import:", (await import(embedded("lib.js"))).Box === libRef.Box);
} else if (where === "worker") {
  const w = new Worker(embedded("w.js"));
  w.onmessage = (e) => { console.log(e.data); process.exit(0); };
  w.postMessage([mode, file]);
} else console.log(await tryImport(mode!, file!));
`,
);
try {
  for (const split of [false, true]) {
    const out = join(dir, split ? "app-split" : "app");
    const args = [process.execPath, "build", "--compile", ...(split ? ["--splitting"] : []), "--root", ".", "main.ts", "w.ts", "lib.ts", "--outfile", out];
    const build = Bun.spawnSync(args, { cwd: dir, stdout: "pipe", stderr: "pipe" });
    if (build.exitCode !== 0) throw new Error(build.stderr.toString());
    const run = (...a: string[]) => {
      const r = Bun.spawnSync([out, ...a], { cwd: disk, stdout: "pipe", stderr: "pipe", timeout: 10_000, env: { ...process.env, EMBEDDED: "/$bunfs/root/" } });
      return (r.stdout.toString() + r.stderr.toString()).trim();
    };
    console.log(`${split ? "--splitting" : "no --splitting"}: embedded lib.js imported by path, ${run("identity")}`);
    if (split) continue;
    for (const where of ["main", "worker"]) {
      for (const mode of ["none", "onResolve", "module"]) console.log(`  ${where.padEnd(6)} ${mode.padEnd(9)} ${run(mode, join(disk, "user.ts"), where)}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true });
}
