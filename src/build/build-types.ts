/**
 * @module build/build-types
 * `bun run build:types` (also npm's `prepack`): declaration files for the package's public surface, src/index.ts
 * and every type it reaches, into types/. package.json `exports` points a user's tsc at them ("types"), so a user
 * project type-checks grocketd's API under its own compiler options — without `allowImportingTsExtensions` (the
 * sources import "./x.ts") and without re-checking grocketd's implementation under stricter flags than the ones
 * it is written for. Bun itself still runs the sources ("bun"/"default"). This repository's own tsconfig resolves
 * the self-import "grocketd" to the sources through the "grocketd-source" condition, so types/ is only for the
 * package.
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const TYPES_DIR = join(REPO_ROOT, "types");

export async function buildTypes(outDir: string = TYPES_DIR): Promise<{ code: number; output: string }> {
  rmSync(outDir, { recursive: true, force: true });
  const tsc = join(REPO_ROOT, "node_modules/.bin/tsc");
  // The repository's own options (tsconfig.json) except what declaration emit needs: one entry, an output folder.
  const args = [
    "--declaration", "--emitDeclarationOnly", "--outDir", outDir, "--rootDir", join(REPO_ROOT, "src"),
    "--target", "ESNext", "--module", "ESNext", "--moduleResolution", "bundler", "--types", "bun-types",
    "--strict", "--exactOptionalPropertyTypes", "--noUncheckedIndexedAccess", "--verbatimModuleSyntax",
    "--allowImportingTsExtensions", "--skipLibCheck", join(REPO_ROOT, "src/index.ts"),
  ];
  const proc = Bun.spawn([tsc, ...args], { cwd: REPO_ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: out + err };
}

if (import.meta.main) {
  const r = await buildTypes();
  process.stdout.write(r.output);
  if (r.code !== 0) process.exit(r.code);
  process.stdout.write(`declarations written to ${TYPES_DIR}\n`);
}
