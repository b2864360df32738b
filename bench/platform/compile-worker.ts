/**
 * Platform probe (docs/platform-notes.md "Workers in a single binary"): `bun build --compile` of a program that starts
 * a Worker by path, once with only the main file as entry point and once with the Worker file listed too, each run
 * once. Writes two ~100 MB executables to a scratch directory and deletes them.
 *
 *   bun bench/platform/compile-worker.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "grk-compile-"));
writeFileSync(join(dir, "w.ts"), 'postMessage("worker ran");\n');
writeFileSync(
  join(dir, "main.ts"),
  'console.log("url of main.ts:", import.meta.url);\n' +
    'const w = new Worker(new URL("./w.ts", import.meta.url).href);\n' +
    'w.addEventListener("message", (e) => { console.log(e.data); process.exit(0); });\n' +
    'w.addEventListener("error", (e) => { console.log("worker error:", e.message); process.exit(1); });\n',
);
try {
  for (const entries of [["main.ts"], ["main.ts", "w.ts"]]) {
    const build = Bun.spawnSync([process.execPath, "build", "--compile", "--root", ".", ...entries, "--outfile", "app"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    if (build.exitCode !== 0) throw new Error(build.stderr.toString());
    const run = Bun.spawnSync([join(dir, "app")], { cwd: tmpdir(), stdout: "pipe", stderr: "pipe", timeout: 10_000 });
    console.log(`entry points ${entries.join(" ")}: exit ${run.exitCode}; ${(run.stdout.toString() + run.stderr.toString()).trim().replace(/\n/g, " | ")}`);
  }
} finally {
  rmSync(dir, { recursive: true });
}
