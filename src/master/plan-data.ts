/**
 * @module master/plan-data
 * The part of a start plan that crosses thread and process boundaries (postMessage, IPC): plain data, no module
 * objects. A thread or child process imports the modules itself from their files.
 */
import type { Config } from "../config/keys.ts";
import type { Binding, ModuleRef } from "../module/binding.ts";
import type { StartPlan } from "./start-plan.ts";

export interface PlanData {
  readonly config: Config;
  /** In configuration order. */
  readonly modules: readonly ModuleRef[];
  readonly bindings: readonly Binding[];
  /** I/O threads per process (io.threads with 0 resolved). */
  readonly threads: number;
  readonly configFile: string | undefined;
}

export function planData(p: StartPlan): PlanData {
  return {
    config: p.config,
    modules: p.modules.map((m) => ({ file: m.file, name: m.def.name })),
    bindings: p.bindings,
    threads: p.threads,
    configFile: p.configFile,
  };
}

/**
 * Gives the entries of a new plan that ask for port 0 the ports the running generation already resolved, so a
 * reload keeps serving on the same ports (matched by protocol, host and module, in order).
 */
export function carryPorts(next: readonly Binding[], running: readonly Binding[], asked: readonly Binding[]): Binding[] {
  const used = new Set<number>();
  return next.map((b) => {
    if (b.entry.port !== 0) return b;
    for (let i = 0; i < asked.length; i++) {
      const a = asked[i]!;
      const r = running[i];
      if (used.has(i) || r === undefined || a.entry.port !== 0) continue;
      if (a.entry.protocol === b.entry.protocol && a.entry.hostname === b.entry.hostname && a.module === b.module) {
        used.add(i);
        return { ...b, entry: r.entry };
      }
    }
    return b;
  });
}
