// The import graph of src/: every `import`/`export ... from` of a relative .ts path in src/**/*.ts (type-only
// imports included: a cycle of types is still a cycle for a reader), as file → files and folder → folders.
// `bun test/architecture/import-graph.ts` prints the folder graph (docs/architecture.md quotes it).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const SRC = resolve(import.meta.dir, "../../src");

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

const IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+["'](\.{1,2}\/[^"']+)["']|^\s*import\s+["'](\.{1,2}\/[^"']+)["']/gm;

/** file (relative to src/) → the src files it imports. */
export function fileGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of walk(SRC).sort()) {
    const text = readFileSync(file, "utf8");
    const deps = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const target = resolve(dirname(file), m[1] ?? m[2]!);
      if (target.startsWith(SRC + "/") && target.endsWith(".ts")) deps.add(relative(SRC, target));
    }
    graph.set(relative(SRC, file), [...deps].sort());
  }
  return graph;
}

/** A file's folder: its first path segment under src/ ("." for files directly in src/). */
export const folderOf = (file: string) => (file.includes("/") ? file.slice(0, file.indexOf("/")) : ".");

/** folder → folders it imports (other than itself), each with the file edges behind it. */
export function folderGraph(graph = fileGraph()): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const [file, deps] of graph) {
    const from = folderOf(file);
    if (!out.has(from)) out.set(from, new Map());
    for (const d of deps) {
      const to = folderOf(d);
      if (to === from) continue;
      const edges = out.get(from)!;
      if (!edges.has(to)) edges.set(to, []);
      edges.get(to)!.push(`${file} → ${d}`);
    }
  }
  return out;
}

/** Every elementary cycle found by a depth-first search, each as the list of files around it (deduplicated). */
export function findCycles(graph = fileGraph()): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 1) {
        const cycle = stack.slice(stack.indexOf(d));
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const norm = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(norm.join(" → "), norm);
      } else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return [...cycles.values()];
}

if (import.meta.main) {
  const folders = folderGraph();
  for (const [from, edges] of [...folders].sort()) console.log(`${from.padEnd(11)} → ${[...edges.keys()].sort().join(", ") || "-"}`);
  for (const c of findCycles()) console.log(`cycle: ${c.join(" → ")} → ${c[0]}`);
}
