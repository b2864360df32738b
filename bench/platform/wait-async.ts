/**
 * Platform probe (docs/platform-notes.md "Atomics.waitAsync"): a Worker waits on a SharedArrayBuffer word with
 * Atomics.waitAsync while its event loop keeps running (a 5 ms interval ticks meanwhile); the main thread notifies it
 * after 100 ms. A second wait with nobody notifying times out after 50 ms.
 *
 *   bun bench/platform/wait-async.ts
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";

if (!isMainThread) {
  const word = new Int32Array(workerData as SharedArrayBuffer);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const t0 = performance.now();
  const w = Atomics.waitAsync(word, 0, 0);
  parentPort!.postMessage("waiting");
  const first = w.async ? await w.value : w.value;
  const t1 = performance.now();
  const w2 = Atomics.waitAsync(word, 0, 1, 50);
  const second = w2.async ? await w2.value : w2.value;
  clearInterval(timer);
  parentPort!.postMessage(
    `worker: typeof Atomics.waitAsync = ${typeof Atomics.waitAsync}; async=${w.async}; notified wait -> "${first}" after ` +
      `${(t1 - t0).toFixed(0)} ms with ${ticks} interval ticks meanwhile; 50 ms wait -> "${second}"`,
  );
} else {
  const sab = new SharedArrayBuffer(4);
  const word = new Int32Array(sab);
  const w = new Worker(new URL(import.meta.url).href, { workerData: sab } as WorkerOptions);
  w.addEventListener("message", async (e) => {
    if (e.data === "waiting") {
      await Bun.sleep(100);
      Atomics.store(word, 0, 1);
      console.log(`main: Atomics.notify woke ${Atomics.notify(word, 0)}`);
    } else {
      console.log(e.data);
      w.terminate();
    }
  });
}
