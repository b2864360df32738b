/**
 * @module master/worker-prewarm
 * I/O threads started before the master has its plan. A Worker spends most of its start loading its own module graph
 * (docs/platform-notes.md "The module cache": a fresh registry per Worker), which does not depend on the plan, so
 * the command (src/grocketd.ts) starts them while it validates the configuration and the modules, and the first
 * generation's WorkerGroup takes them instead of starting new ones (bench/startup.ts: the two overlap). A Worker
 * that ended or failed before it was taken is never handed out: a fresh one is, whose failure the group then sees
 * and reports as usual. Whatever is not taken is terminated once the first generation has started.
 * Once the plan is valid, `sendToPrewarmed` tells them which modules to import (io/messages.ts "preload"), so they
 * do that while the master runs its init hooks and builds the first generation.
 */

interface Warm {
  readonly worker: Worker;
  ended: boolean;
}

const pool = new Map<string, Warm[]>();

/** Starts `count` Workers of `url` now; returns them (for a caller that watches them). */
export function prewarmWorkers(url: string, count: number): readonly Worker[] {
  const list = pool.get(url) ?? [];
  const started: Worker[] = [];
  for (let i = 0; i < count; i++) {
    const w: Warm = { worker: new Worker(url), ended: false };
    const end = (): void => void (w.ended = true);
    w.worker.addEventListener("close", end);
    w.worker.addEventListener("error", end);
    list.push(w);
    started.push(w.worker);
  }
  pool.set(url, list);
  return started;
}

/** Posts `msg` to the first `count` prewarmed Workers of `url` still alive: the ones takeWorker hands out next. */
export function sendToPrewarmed(url: string, msg: unknown, count: number): void {
  let left = count;
  for (const w of pool.get(url) ?? []) {
    if (left <= 0) break;
    if (w.ended) continue;
    w.worker.postMessage(msg);
    left--;
  }
}

/** A prewarmed Worker of `url` that is still alive, or a new one. */
export function takeWorker(url: string): { worker: Worker; prewarmed: boolean } {
  const list = pool.get(url);
  while (list !== undefined && list.length > 0) {
    const w = list.shift()!;
    if (!w.ended) return { worker: w.worker, prewarmed: true };
    w.worker.terminate();
  }
  return { worker: new Worker(url), prewarmed: false };
}

/** Terminates every prewarmed Worker nobody took. */
export function discardPrewarmed(): void {
  for (const list of pool.values()) for (const w of list.splice(0)) w.worker.terminate();
}
