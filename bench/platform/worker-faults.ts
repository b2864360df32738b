/**
 * Platform probe (docs/platform-notes.md "Faults in a Worker"): what keeps a Worker alive after module code throws
 * in a timer or leaves a rejection unhandled, and how quickly terminate() ends a Worker stuck in a busy loop. Each
 * case starts a fresh Worker (this file), installs one kind of handler in it, triggers the fault, then asks the
 * Worker to answer a ping: an answer means it survived. Then process.exit() in one Worker, and terminate() of a busy
 * one.
 *
 *   bun bench/platform/worker-faults.ts
 */
import { isMainThread } from "node:worker_threads";

declare const self: Worker;

if (!isMainThread) {
  let handled = "";
  self.onmessage = (ev: MessageEvent<{ install: string; fault: string } | "ping" | "spin" | "exit">) => {
    const m = ev.data;
    if (m === "ping") return self.postMessage(`pong (handler saw: ${handled || "nothing"})`);
    if (m === "spin") for (;;);
    if (m === "exit") process.exit(3);
    if (m.install === "process") {
      process.on("uncaughtException", (e) => (handled = `uncaughtException ${(e as Error).message}`));
      process.on("unhandledRejection", (e) => (handled = `unhandledRejection ${(e as Error).message}`));
    } else if (m.install === "self") {
      self.addEventListener("error", (e) => {
        handled = `error event ${(e as ErrorEvent).message.split("\n").pop()}`;
        e.preventDefault();
      });
      self.addEventListener("unhandledrejection", (e) => {
        handled = "unhandledrejection event";
        e.preventDefault();
      });
    }
    if (m.fault === "throw in a timer") {
      setTimeout(() => {
        throw new Error("boom");
      }, 1);
    } else void Promise.reject(new Error("boom"));
  };
} else {
  const run = async (msg: unknown): Promise<{ worker: Worker; closed: Promise<number> }> => {
    const worker = new Worker(new URL(import.meta.url).href);
    const closed = new Promise<number>((r) => worker.addEventListener("close", (e) => r((e as CloseEvent & { code?: number }).code ?? -1)));
    worker.addEventListener("error", (e) => e.preventDefault());
    await Bun.sleep(150);
    worker.postMessage(msg);
    return { worker, closed };
  };
  for (const install of ["none", "process", "self"]) {
    for (const fault of ["throw in a timer", "unhandled rejection"]) {
      const { worker, closed } = await run({ install, fault });
      await Bun.sleep(200);
      const pong = new Promise<string>((r) => worker.addEventListener("message", (e) => r(String(e.data))));
      worker.postMessage("ping");
      const out = await Promise.race([pong, closed.then((code) => `worker gone (close code ${code})`), Bun.sleep(1000).then(() => "no answer")]);
      console.log(`${`handlers: ${install}`.padEnd(17)} ${fault.padEnd(19)} -> ${out}`);
      worker.terminate();
    }
  }
  const other = await run("ping"); // stays alive while another Worker exits
  const exiting = await run("exit");
  const exitCode = await exiting.closed;
  const alive = await new Promise<string>((r) => {
    other.worker.addEventListener("message", (e) => r(String(e.data).split(" ")[0]!));
    other.worker.postMessage("ping");
  });
  console.log(`process.exit(3) in a Worker -> its close code ${exitCode}; another Worker answers: ${alive}; the process lives on`);
  other.worker.terminate();
  const { worker, closed } = await run("spin");
  await Bun.sleep(200);
  const t0 = performance.now();
  worker.terminate();
  const code = await closed;
  console.log(`busy loop: terminate() -> close event after ${(performance.now() - t0).toFixed(1)} ms (code ${code})`);
}
