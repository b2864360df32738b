/**
 * @module master/plan-in-worker
 * Runs plan-worker.ts once and returns its answer (bounded in time, the Worker always terminated).
 */
import type { PlanReply, PlanRequest } from "./plan-worker.ts";
import { entryUrl } from "../entry-path.ts";

// entry-path.ts: also resolves inside the single binary.
const PLAN_WORKER_URL = entryUrl("src/master/plan-worker.ts");

export function planInWorker(req: PlanRequest, timeoutMs = 30_000): Promise<PlanReply> {
  const w = new Worker(PLAN_WORKER_URL);
  return new Promise<PlanReply>((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, problems: [`validating the new configuration took longer than ${timeoutMs} ms`] }), timeoutMs);
    w.addEventListener("message", (ev: MessageEvent<PlanReply>) => {
      clearTimeout(timer);
      resolve(ev.data);
    });
    w.addEventListener("error", (ev) => {
      clearTimeout(timer);
      resolve({ ok: false, problems: [`validation failed: ${(ev as ErrorEvent).message}`] });
    });
    w.postMessage(req);
  }).finally(() => w.terminate());
}
