// Tests for `bun run bench:idle` (bench/idle-memory.ts) at a tiny size: every server is started, every connection is
// served once and counted, RSS is read before and after, and a typo in --only is refused. No memory figure is asserted
// (RSS at this size is the allocator's noise; the goals are the benchmark's business).

import { expect, test } from "bun:test";
import { resolve } from "node:path";

const repo = resolve(import.meta.dir, "../..");

test(
  "smoke: 20 connections each to grocketd HTTP, grocketd TCP and the bare echo, each served once and then idle",
  async () => {
    const proc = Bun.spawn([process.execPath, "bench/idle-memory.ts", "--connections", "20", "--settle", "0", "--json"], {
      cwd: repo,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code, err).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.results.map((r: { server: string }) => r.server)).toEqual(["http", "tcp", "bare"]);
    for (const r of doc.results) {
      expect(r.connections).toBe(20);
      expect(r.rssBeforeKiB).toBeGreaterThan(0);
      expect(r.rssAfterKiB).toBeGreaterThan(0);
    }
    expect(err).toContain("goal ≤ 1.5");
  },
  60_000,
);

test("--only names the servers it knows", () => {
  const r = Bun.spawnSync([process.execPath, "bench/idle-memory.ts", "--only", "http,nginx"], { cwd: repo });
  expect(r.exitCode).toBe(2);
  expect(r.stderr.toString()).toContain("unknown server nginx");
});
