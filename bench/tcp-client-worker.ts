// Worker entry for kiss-client threads: runs one KissThread and reports to the main thread.
// Protocol: init → ready, go → (stop) → done | fatal.

import { C_SLOTS } from "./lib/kiss-connection.ts";
import { KissThread, type ThreadOptions, type ThreadResult } from "./lib/kiss-thread.ts";

declare const self: Worker;

export type ToWorker = { type: "init"; opts: ThreadOptions; counters: SharedArrayBuffer } | { type: "go" } | { type: "stop" };
export type FromWorker = { type: "ready" } | { type: "done"; result: ThreadResult } | { type: "fatal"; message: string };

let thread: KissThread | null = null;

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  try {
    if (msg.type === "init") {
      const counters = new Float64Array(msg.counters, msg.opts.thread * C_SLOTS * 8, C_SLOTS);
      thread = new KissThread(msg.opts, counters);
      thread.connect().then(
        () => post({ type: "ready" }),
        (e: unknown) => post({ type: "fatal", message: String(e) }),
      );
    } else if (msg.type === "go") {
      thread!.run().then(
        (result) => post({ type: "done", result }),
        (e: unknown) => post({ type: "fatal", message: String(e) }),
      );
    } else if (msg.type === "stop") {
      thread?.stop();
    }
  } catch (e) {
    post({ type: "fatal", message: String(e) });
  }
};
