/**
 * Platform probe (docs/platform-notes.md "bun test timeouts"): is `[test] timeout` in bunfig.toml honoured? In a scratch
 * directory a 100 ms test runs under bunfig `[test] timeout = 20`, then under `--timeout 20`.
 *
 *   bun bench/platform/bunfig-test-timeout.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "grk-bunfig-"));
writeFileSync(join(dir, "bunfig.toml"), "[test]\ntimeout = 20\n");
writeFileSync(join(dir, "slow.test.ts"), 'import { test } from "bun:test";\ntest("sleeps 100 ms", async () => { await Bun.sleep(100); });\n');
for (const extra of [[], ["--timeout", "20"]]) {
  const p = Bun.spawnSync([process.execPath, "test", ...extra], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  const text = p.stderr.toString();
  const line = (re: RegExp) => text.match(re)?.[0].trim() ?? "-";
  console.log(`bun test ${extra.join(" ") || "(bunfig timeout = 20 only)"}: exit ${p.exitCode}, ${line(/^\s*\d+ pass$/m)}, ${line(/^\s*\d+ fail$/m)}`);
}
rmSync(dir, { recursive: true });
