// Tests for the A/B options of the compare scripts (bench/lib/grocketd-dir.ts): per-round before/after ratios, and
// --baseline adding a grocketd-base server run from the other checkout (bench/lib/http-servers.ts).

import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { BASE, pairedRatios } from "../../bench/lib/grocketd-dir.ts";
import { setupServers } from "../../bench/lib/http-servers.ts";

const repo = resolve(import.meta.dir, "../..");

describe("before/after ratios", () => {
  test("pair the same round (and key), skip a zero and an unpaired round", () => {
    const recs = [
      { server: "grocketd", round: 1, depth: 1, v: 120 },
      { server: BASE, round: 1, depth: 1, v: 100 },
      { server: "grocketd", round: 1, depth: 16, v: 999 },
      { server: "grocketd", round: 2, depth: 1, v: 90 },
      { server: BASE, round: 2, depth: 1, v: 100 },
      { server: "grocketd", round: 3, depth: 1, v: 50 },
      { server: BASE, round: 3, depth: 1, v: 0 },
      { server: BASE, round: 4, depth: 1, v: 100 },
    ];
    const r = pairedRatios(recs, "grocketd", BASE, (x) => x.v, (x, y) => x.depth === y.depth)!;
    expect(r.n).toBe(2);
    expect(r.min).toBeCloseTo(0.9);
    expect(r.max).toBeCloseTo(1.2);
    expect(r.median).toBeCloseTo(1.05);
    expect(pairedRatios(recs, "grocketd", "nginx", (x) => x.v)).toBeNull();
  });
});

describe("--baseline on bench:http", () => {
  test("adds grocketd-base after grocketd, with the same command, run in the other checkout", () => {
    const { specs } = setupServers({ only: ["grocketd", "bun"], repo, baseDir: "/elsewhere" });
    expect(specs.map((s) => s.name)).toEqual(["grocketd", BASE, "bun"]);
    expect(specs[1]!.describe).toContain("src/grocketd.ts --module modules/hello.ts");
    expect(specs[1]!.describe).toContain("(in /elsewhere)");
    expect(specs[0]!.describe).not.toContain("(in ");
  });
});
