/**
 * @module module/resolve-libraries
 * Resolution of `requires` against `provides` before any `init` (the original's version checks at load instead of
 * crashes later). A pure function over the loaded manifests: it returns the init order (providers before the
 * modules that require them, otherwise in configuration order) or *every* problem at once — a missing library, a
 * version outside the range, two providers of one name, a cycle — each naming all modules and libraries involved.
 * Used by the start plan (so `--check` lists them all), the master and every I/O thread.
 */
import { API_VERSION } from "../version.ts";
import { satisfies } from "./semver.ts";

/** The name of the runtime's own library; no module may provide it (here, not in manifest.ts: that one loads zod). */
export const RUNTIME_LIBRARY = "grocketd";

/** What resolution needs to know of a module. */
export interface LibraryNode {
  readonly name: string;
  readonly file: string;
  readonly provides?: { readonly [library: string]: { readonly version: string } };
  readonly requires?: { readonly [library: string]: string };
}

export type Resolution =
  | { readonly ok: true; readonly order: readonly number[]; readonly providers: ReadonlyMap<string, number> }
  | { readonly ok: false; readonly problems: readonly string[] };

interface Edge {
  readonly to: number;
  readonly library: string;
}

const who = (n: LibraryNode) => `module "${n.name}" (${n.file})`;

export function resolveLibraries(nodes: readonly LibraryNode[], runtimeVersion: string = API_VERSION): Resolution {
  const problems: string[] = [];
  const providersOf = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const lib of Object.keys(n.provides ?? {})) providersOf.set(lib, [...(providersOf.get(lib) ?? []), i]);
  });

  for (const [lib, ps] of providersOf) {
    if (ps.length < 2) continue;
    const requirers = nodes.filter((n) => n.requires && Object.hasOwn(n.requires, lib)).map((n) => `"${n.name}"`);
    problems.push(
      `library "${lib}": provided by more than one module: ${ps.map((p) => `${who(nodes[p]!)} version ${nodes[p]!.provides![lib]!.version}`).join(", ")}` +
        `${requirers.length > 0 ? ` (required by ${requirers.join(", ")})` : ""}; a library name must have exactly one provider`,
    );
  }

  const edges: Edge[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const [lib, range] of Object.entries(n.requires ?? {})) {
      if (lib === RUNTIME_LIBRARY) {
        if (!satisfies(runtimeVersion, range)) {
          problems.push(`library "${lib}": ${who(n)} requires ${range}, but this grocketd provides version ${runtimeVersion}`);
        }
        continue;
      }
      const ps = providersOf.get(lib) ?? [];
      if (ps.length === 0) {
        const available = [`${RUNTIME_LIBRARY} ${runtimeVersion}`];
        for (const [l, ps] of providersOf) for (const p of ps) available.push(`${l} ${nodes[p]!.provides![l]!.version} (module "${nodes[p]!.name}")`);
        problems.push(`library "${lib}": ${who(n)} requires ${range}, but no loaded module provides it (provided: ${available.join(", ")})`);
        continue;
      }
      if (ps.length > 1) continue; // reported above
      const p = ps[0]!;
      const version = nodes[p]!.provides![lib]!.version;
      if (!satisfies(version, range)) {
        problems.push(`library "${lib}": ${who(n)} requires ${range}, but ${p === i ? "it" : who(nodes[p]!)} provides version ${version}`);
      }
      if (p !== i) edges[i]!.push({ to: p, library: lib });
    }
  });

  problems.push(...findCycles(nodes, edges));
  if (problems.length > 0) return { ok: false, problems };

  const providers = new Map<string, number>();
  for (const [lib, [p]] of providersOf) providers.set(lib, p!);
  return { ok: true, order: topoOrder(edges), providers };
}

/**
 * Kahn's algorithm: each module after everything it requires; among the modules that are ready, the one listed
 * first in the configuration goes first, so the order only differs from the configuration where it must.
 */
function topoOrder(edges: readonly Edge[][]): number[] {
  const waiting = edges.map((es) => new Set(es.map((e) => e.to)).size);
  const users: number[][] = edges.map(() => []);
  edges.forEach((es, i) => {
    for (const to of new Set(es.map((e) => e.to))) users[to]!.push(i);
  });
  const done = new Set<number>();
  const order: number[] = [];
  while (order.length < edges.length) {
    const next = waiting.findIndex((w, i) => w === 0 && !done.has(i)); // acyclic here, so one is always ready
    done.add(next);
    order.push(next);
    for (const u of users[next]!) waiting[u]!--;
  }
  return order;
}

/** One message per strongly connected group of modules, spelling out one circle through it. */
function findCycles(nodes: readonly LibraryNode[], edges: readonly Edge[][]): string[] {
  const out: string[] = [];
  for (const group of stronglyConnected(edges)) {
    if (group.length < 2) continue;
    const inGroup = new Set(group);
    const start = Math.min(...group);
    const path = circleFrom(start, edges, inGroup);
    const steps = path.map((e, k) => {
      const from = k === 0 ? start : path[k - 1]!.to;
      return `${k === 0 ? who(nodes[from]!) : `module "${nodes[from]!.name}"`} requires library "${e.library}" of ${
        e.to === start ? `module "${nodes[e.to]!.name}"` : who(nodes[e.to]!)
      }`;
    });
    out.push(`library cycle: ${steps.join(", ")}; none of them can be initialised first`);
  }
  return out;
}

/** A path of edges from `start` back to `start` inside its group (breadth-first, so the shortest one). */
function circleFrom(start: number, edges: readonly Edge[][], inGroup: ReadonlySet<number>): Edge[] {
  const via = new Map<number, { prev: number; edge: Edge }>();
  const queue = [start];
  while (queue.length > 0) {
    const i = queue.shift()!;
    for (const e of edges[i]!) {
      if (!inGroup.has(e.to)) continue;
      if (e.to === start) {
        const path = [e];
        for (let at = i; at !== start; at = via.get(at)!.prev) path.unshift(via.get(at)!.edge);
        return path;
      }
      if (!via.has(e.to)) {
        via.set(e.to, { prev: i, edge: e });
        queue.push(e.to);
      }
    }
  }
  return [];
}

/** Tarjan's algorithm; groups come out in reverse topological order, which does not matter here. */
function stronglyConnected(edges: readonly Edge[][]): number[][] {
  let next = 0;
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const stack: number[] = [];
  const onStack = new Set<number>();
  const groups: number[][] = [];
  const connect = (v: number): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const { to } of edges[v]!) {
      if (!index.has(to)) {
        connect(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v)!, index.get(to)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: number[] = [];
      let w: number;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      groups.push(group.sort((a, b) => a - b));
    }
  };
  for (let v = 0; v < edges.length; v++) if (!index.has(v)) connect(v);
  return groups;
}
