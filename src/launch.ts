/**
 * @module launch
 * What bin/grocketd (and `bun run grocketd`) starts: the pre-bundled runtime in dist/bundle/ when it was built from
 * exactly these sources by this Bun (build/dist-manifest.ts; `bun run build:dist`, also run by npm's prepack), else
 * the sources, src/grocketd.ts. The bundle starts faster (one file per thread to load instead of ~130 to transpile
 * and link: bench/startup.ts --bin); a stale one is never used. `GROCKETD_NO_BUNDLE=1` runs the sources anyway.
 * The command's own argument handling is in src/grocketd.ts, which both paths run unchanged (argv is the same).
 */
import { join, resolve } from "node:path";
import { DIST_DIR, staleReason } from "./build/dist-manifest.ts";
import { startupMark, startupTraceLine, startupTraceOn } from "./log/startup-trace.ts";
import { VERSION } from "./version.ts";

const root = resolve(import.meta.dir, "..");
const stale = process.env.GROCKETD_NO_BUNDLE === "1" ? "GROCKETD_NO_BUNDLE=1" : staleReason(root, VERSION);
startupMark("master", "bundle-checked");
if (stale === null) {
  startupMark("launch", "bundle");
  await import(join(root, DIST_DIR, "src/grocketd.js"));
} else {
  if (startupTraceOn) startupTraceLine(`grocketd-startup: running from the sources (${stale})\n`);
  startupMark("launch", "sources");
  await import("./grocketd.ts");
}
