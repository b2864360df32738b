/**
 * @module build/dist-manifest
 * The pre-bundled runtime in dist/bundle/ (src/build/build-dist.ts writes it, src/launch.ts uses it) is trusted only
 * for the exact sources it was built from: bundle.json lists every package file that went into it (not
 * node_modules) with the hash of their contents, plus the version and the Bun that built it. A checkout whose
 * sources changed after the build, or a different Bun, runs from the sources instead — a stale bundle is never used.
 * Hashing is by content, not mtime: about 130 files, a few milliseconds.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const DIST_DIR = "dist/bundle";
export const MANIFEST_NAME = "bundle.json";

export interface DistManifest {
  readonly version: string;
  readonly bun: string;
  /** Package-relative paths of the files bundled (sorted). */
  readonly files: readonly string[];
  /** sourcesHash(root, files) at build time. */
  readonly hash: string;
}

/** Hash of the named files' paths and contents; a file that cannot be read makes a hash no build has. */
export function sourcesHash(root: string, files: readonly string[]): string {
  const h = new Bun.CryptoHasher("sha256");
  for (const f of files) {
    h.update(f);
    h.update("\0");
    try {
      h.update(readFileSync(join(root, f)));
    } catch {
      h.update("\0missing\0");
    }
    h.update("\0");
  }
  return h.digest("hex");
}

/** Why the bundle under `root` cannot be used for these sources, or null when it can. */
export function staleReason(root: string, version: string): string | null {
  let m: DistManifest;
  try {
    m = JSON.parse(readFileSync(join(root, DIST_DIR, MANIFEST_NAME), "utf8")) as DistManifest;
  } catch {
    return `no ${DIST_DIR}/${MANIFEST_NAME}`;
  }
  if (m.version !== version) return `built for grocketd ${m.version}, this is ${version}`;
  if (m.bun !== Bun.version) return `built with Bun ${m.bun}, this is ${Bun.version}`;
  if (!Array.isArray(m.files) || m.files.length === 0) return "no file list";
  if (sourcesHash(root, m.files) !== m.hash) return "the sources changed since it was built";
  return null;
}
