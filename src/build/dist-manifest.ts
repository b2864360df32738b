/**
 * @module build/dist-manifest
 * The pre-bundled runtime in dist/bundle/ (src/build/build-dist.ts writes it, src/launch.ts uses it) is trusted only
 * for the exact sources it was built from: bundle.json lists every package file that went into it (not
 * node_modules) with the hash of their contents, plus the version and the Bun that built it. A checkout whose
 * sources changed after the build, or a different Bun, runs from the sources instead — a stale bundle is never used.
 * Trust is by content: the hash of every file. Reading ~165 files costs 5-20 ms of every start, so bundle.json also
 * keeps each file's size, mtime, ctime and inode as they were when it was hashed; when all of them are unchanged
 * the file is the one that was hashed (ctime cannot be set back from user space: restoring an mtime moves it), and
 * one stat per file (~1 ms in all) replaces the reads. Any difference, or a copy without them (an npm install gives
 * new inodes), falls back to hashing the contents.
 */
import { readFileSync, statSync } from "node:fs";
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
  /** statsOf(root, files), taken before the hash. */
  readonly stats?: readonly string[];
}

/** Each file's size, mtime, ctime (ns) and inode, or "missing". */
export function statsOf(root: string, files: readonly string[]): string[] {
  return files.map((f) => {
    const s = statSync(join(root, f), { bigint: true, throwIfNoEntry: false });
    return s === undefined ? "missing" : `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
  });
}

function sameStats(root: string, files: readonly string[], stats: unknown): boolean {
  if (!Array.isArray(stats) || stats.length !== files.length) return false;
  const now = statsOf(root, files);
  return now.every((s, i) => s !== "missing" && s === stats[i]);
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
  if (sameStats(root, m.files, m.stats)) return null;
  if (sourcesHash(root, m.files) !== m.hash) return "the sources changed since it was built";
  return null;
}
