// Imports in src/ point downward and never in a circle (docs/architecture.md). Layers, lowest first; a file may
// import its own layer and those below. The upward edges that remain are listed one by one in UPWARD: one not
// listed fails, and so does a listed one that is gone, so the list can only shrink.
import { describe, expect, test } from "bun:test";
import { fileGraph, findCycles, folderOf } from "./import-graph.ts";

/** Layer of each folder of src/ (files directly in src/ are listed by name). */
export const LAYERS: ReadonlyArray<readonly string[]> = [
  ["errors.ts", "error-table.ts", "version.ts", "entry-path.ts", "log", "stats", "build"],
  ["ring", "config"],
  ["module"],
  ["pubsub"],
  ["access-log"],
  ["io"],
  ["ws"],
  ["http", "self-module.ts"],
  ["inline"],
  ["pool"],
  ["thread"],
  ["cli"],
  ["master"],
  ["status"],
  ["index.ts", "grocketd.ts", "launch.ts"],
];

/** Upward imports not removed yet: none since issue 13's backend interfaces (io/backend.ts, http/http-backend.ts). */
const UPWARD: readonly string[] = [];

const layerOf = (file: string): number => {
  const name = folderOf(file) === "." ? file : folderOf(file);
  const i = LAYERS.findIndex((l) => l.includes(name));
  if (i < 0) throw new Error(`${file}: its folder is in no layer of test/architecture/imports.test.ts`);
  return i;
};

describe("imports in src/", () => {
  const graph = fileGraph();

  test("the graph is read (sanity: known edges are found)", () => {
    expect(graph.get("io/tcp/tcp-framing.ts")).toContain("module/types.ts");
    expect(graph.size).toBeGreaterThan(50);
  });

  test("no import cycles", () => {
    expect(findCycles(graph).map((c) => [...c, c[0]].join(" → "))).toEqual([]);
  });

  test("every folder has a layer, and upward imports are exactly the listed ones", () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) for (const d of deps) if (layerOf(d) > layerOf(file)) upward.push(`${file} → ${d}`);
    expect(upward.sort()).toEqual([...UPWARD].sort());
  });
});
