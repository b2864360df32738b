/**
 * @module master/plan-worker
 * Builds and validates a start plan in a throwaway Worker, for live reload: the master cannot re-import changed
 * module files (Bun caches a module per thread), but a fresh Worker has a fresh module registry, so what it
 * validates is what the new generation's threads will run. Posts back plain plan data or every problem.
 */
import type { CliOptions } from "../cli/args.ts";
import { describeError, isGrocketdError } from "../errors.ts";
import { planData, type PlanData } from "./plan-data.ts";
import { buildStartPlan } from "./start-plan.ts";
import { setSelfModuleLoader } from "../entry-path.ts";

declare const self: Worker;

// This entry's own copy of the runtime is what its modules' `import "grocketd"` gets (entry-path.ts).
setSelfModuleLoader(() => import("../self-module.ts"));

export interface PlanRequest {
  cli: CliOptions;
  env: Record<string, string | undefined>;
  cwd: string;
}

export type PlanReply = { ok: true; plan: PlanData; modules: string[] } | { ok: false; problems: string[] };

self.onmessage = async (ev: MessageEvent<PlanRequest>) => {
  const { cli, env, cwd } = ev.data;
  let reply: PlanReply;
  try {
    const plan = await buildStartPlan(cli, env, cwd);
    reply = { ok: true, plan: planData(plan), modules: plan.modules.map((m) => `${m.def.name}@${m.def.version}`) };
  } catch (err) {
    reply = { ok: false, problems: isGrocketdError(err) ? [...err.problems] : [describeError(err)] };
  }
  self.postMessage(reply);
};
