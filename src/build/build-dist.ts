/**
 * @module build/build-dist
 * `bun run build:dist` (also npm's `prepack`): the runtime pre-bundled into dist/bundle/, which src/launch.ts (what
 * bin/grocketd runs) starts instead of the sources when bundle.json says it was built from exactly these sources
 * (build/dist-manifest.ts). From source, every thread transpiles and links its whole graph of ~130 files, zod
 * included, again: the master once, every I/O thread once more. One `Bun.build` of every entry started by path
 * (the command, the Worker entries, a child process), each into one CommonJS file with Bun's bytecode cache beside
 * it (`.jsc`): a thread then loads compiled bytecode instead of parsing and compiling its graph (Bun 1.4.4 makes
 * bytecode for ESM only with `--compile`, and CommonJS has no `--splitting`, so every entry carries its own copy
 * of what it imports; a thread loads one entry, and a module's `import "grocketd"` gets that entry's copy,
 * entry-path.ts setSelfModuleLoader). The banner gives the bundled code its own file's path (entry-path.ts
 * `__grocketdBundleFile`). `--root .` keeps the layout entry-path.ts maps to (dist/bundle/src/thread/io-thread.js).
 * Whitespace and syntax are minified (less to load), names are kept (class names appear in logs and errors).
 * Measured by `bun bench/startup.ts --bin` (README Benchmarks).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import type { BunPlugin } from "bun";
import { ENTRYPOINTS } from "./build-binary.ts";
import { DIST_DIR, MANIFEST_NAME, sourcesHash, statsOf, type DistManifest } from "./dist-manifest.ts";

export const REPO_ROOT = resolve(import.meta.dir, "../..");

const ZOD_ENTRY = "src/config/zod-namespace.ts";

/**
 * The runtime's own entries of the binary (the demo module stays a file on disk; src/self-module.ts is part of every
 * entry that imports modules, entry-path.ts setSelfModuleLoader), plus zod on its own (config/zod-load.ts).
 */
export const DIST_ENTRYPOINTS: readonly string[] = [...ENTRYPOINTS.filter((e) => e.startsWith("src/") && e !== "src/self-module.ts"), ZOD_ENTRY];

/**
 * Keeps zod out of every other entry: config/zod-load.ts's `require("./zod-namespace.ts")` stays a require the
 * bundled code never runs (when bundled it requires the file's own entry by path instead).
 */
const zodApart: BunPlugin = {
  name: "zod-apart",
  setup(build) {
    build.onResolve({ filter: /\/zod-namespace\.ts$/ }, (args) => (args.importer === "" ? undefined : { path: args.path, external: true }));
  },
};

export interface DistResult {
  readonly ok: boolean;
  readonly output: string;
  readonly manifest?: DistManifest;
  readonly ms: number;
}

/** Builds into a fresh folder beside `outDir` and renames it into place, so a start never sees half a bundle. */
export async function buildDist(root: string = REPO_ROOT, outDir: string = join(root, DIST_DIR)): Promise<DistResult> {
  const t0 = performance.now();
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = await Bun.build({
    entrypoints: DIST_ENTRYPOINTS.map((e) => join(root, e)),
    root,
    outdir: tmp,
    target: "bun",
    format: "cjs",
    bytecode: true,
    banner: "var __grocketdBundleFile = __filename;",
    minify: { whitespace: true, syntax: true, identifiers: false },
    metafile: true,
    plugins: [zodApart],
  });
  const output = r.logs.map((l) => String(l)).join("\n");
  if (!r.success || !r.metafile) {
    rmSync(tmp, { recursive: true, force: true });
    return { ok: false, output, ms: performance.now() - t0 };
  }
  // The package's own files that went in (dependencies are copied into the bundle, so their installed versions do not matter).
  const files = Object.keys(r.metafile.inputs)
    .map((p) => relative(root, resolve(process.cwd(), p))) // the metafile names inputs relative to the working directory
    .filter((p) => !p.startsWith("..") && !p.includes("node_modules"))
    .sort();
  const stats = statsOf(root, files); // before the hash: a file changed in between then differs from its stat
  const manifest: DistManifest = { version: pkg.version, bun: Bun.version, files, hash: sourcesHash(root, files), stats };
  writeFileSync(join(tmp, MANIFEST_NAME), `${JSON.stringify(manifest, null, 1)}\n`);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
  return { ok: true, output, manifest, ms: performance.now() - t0 };
}

if (import.meta.main) {
  const r = await buildDist();
  if (r.output) process.stdout.write(`${r.output}\n`);
  if (!r.ok) process.exit(1);
  process.stdout.write(`bundled ${r.manifest!.files.length} files into ${DIST_DIR}/ in ${Math.round(r.ms)} ms\n`);
}
