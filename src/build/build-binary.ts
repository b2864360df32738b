/**
 * @module build/build-binary
 * `bun run build [--outfile PATH]`: the single executable, `bun build --compile` of the command plus every file the
 * runtime starts by path — the Worker entries and the bundled demo module. Each must be listed, or the binary only
 * fails when it first starts that worker (docs/platform-notes.md, "Workers in a single binary"); `--root .` fixes where they land inside the
 * binary, which entry-path.ts relies on. Default output: dist/grocketd (about 100 MB: it carries Bun itself).
 */
import { resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "../..");

/** Everything started by path (entry-path.ts `entryPath`/`entryUrl`), relative to the repository root. */
export const ENTRYPOINTS: readonly string[] = [
  "src/grocketd.ts",
  "src/thread/io-thread.ts",
  "src/pool/handler-thread.ts",
  "src/master/plan-worker.ts",
  // A child process: the binary starts it as itself (entry-path.ts CHILD_PROCESS_ARG), the bundle by this path.
  "src/master/child-main.ts",
  "modules/echo.ts",
  // What a module on disk gets for `import ... from "grocketd"` (entry-path.ts provideSelfModule).
  "src/self-module.ts",
];

export const DEFAULT_OUTFILE = resolve(REPO_ROOT, "dist/grocketd");

export interface BuildResult {
  readonly code: number;
  /** bun build's own output (sizes, timings, errors). */
  readonly output: string;
  readonly ms: number;
}

export async function buildBinary(outfile: string = DEFAULT_OUTFILE): Promise<BuildResult> {
  const t0 = performance.now();
  const proc = Bun.spawn([process.execPath, "build", "--compile", "--splitting", "--root", ".", ...ENTRYPOINTS, "--outfile", resolve(outfile)], {
    cwd: REPO_ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: out + err, ms: performance.now() - t0 };
}

if (import.meta.main) {
  const i = process.argv.indexOf("--outfile");
  const outfile = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]!) : DEFAULT_OUTFILE;
  const r = await buildBinary(outfile);
  process.stdout.write(r.output);
  if (r.code !== 0) process.exit(r.code);
  process.stdout.write(`built ${outfile} in ${Math.round(r.ms)} ms\n`);
}
