// grocketd's UDP data path as a server process for the benchmark, until the master serves udp:// itself: N Bun
// Workers (default 1), each running listenUdp on the same port with SO_REUSEPORT, as I/O threads will.
// Usage: bun bench/udp-grocketd-harness.ts [--host 127.0.0.1] [--port 0] [--threads 1] [--module bench/modules/udp-echo.ts]
//        [--backend auto|bun|dgram]   → prints "listening <port>" once every thread is bound; per-thread counters on
//        stderr when stopped (SIGTERM/SIGINT).

import { resolve } from "node:path";
import { formatListenUrl } from "../src/config/listen-url.ts";
import { parseArgs } from "./lib/cli-args.ts";
import type { FromThread, ToThread } from "./udp-grocketd-thread.ts";

const USAGE = "usage: udp-grocketd-harness.ts [--host H] [--port P] [--threads N] [--module FILE] [--backend auto|bun|dgram]";
const a = parseArgs(process.argv.slice(2), { host: "string", port: "number", threads: "number", module: "string", backend: "string" }, USAGE);
const host = a.host ?? "127.0.0.1";
const threads = a.threads ?? 1;
const backend = (a.backend ?? "auto") as "auto" | "bun" | "dgram";
if (!["auto", "bun", "dgram"].includes(backend)) throw new Error(`--backend must be auto, bun or dgram`);
const module = resolve(a.module ?? resolve(import.meta.dir, "modules/udp-echo.ts"));

interface Thread {
  w: Worker;
  next(): Promise<FromThread>;
}

function spawn(): Thread {
  const w = new Worker(new URL("./udp-grocketd-thread.ts", import.meta.url).href);
  const inbox: FromThread[] = [];
  let waiter: ((m: FromThread) => void) | null = null;
  w.onmessage = (ev: MessageEvent<FromThread>) => {
    if (waiter) {
      const f = waiter;
      waiter = null;
      f(ev.data);
    } else inbox.push(ev.data);
  };
  w.onerror = (ev) => {
    process.stderr.write(`udp harness: thread error: ${ev.message}\n`);
    process.exit(1);
  };
  return { w, next: () => (inbox.length ? Promise.resolve(inbox.shift()!) : new Promise((r) => (waiter = r))) };
}

const started: Thread[] = [];
let port = a.port ?? 0;
for (let i = 0; i < threads; i++) {
  const t = spawn();
  started.push(t);
  const msg: ToThread = { t: "start", index: i, module, url: formatListenUrl("udp", host, port), backend };
  t.w.postMessage(msg);
  const r = await t.next();
  if (r.t !== "listening") {
    process.stderr.write(`udp harness: thread ${i}: ${r.t === "failed" ? r.message : r.t}\n`);
    process.exit(1);
  }
  // Port 0: the first thread's port is the one the others share.
  port = r.port;
  process.stderr.write(`io-${i} udp ${host}:${r.port} backend ${r.backend}\n`);
}
process.stdout.write(`listening ${port}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  for (const [i, t] of started.entries()) {
    t.w.postMessage({ t: "stop" } satisfies ToThread);
    const r = await Promise.race([t.next(), Bun.sleep(1000).then(() => null)]);
    if (r?.t === "stopped") process.stderr.write(`io-${i} stats ${JSON.stringify(r.stats)}\n`);
    t.w.terminate();
  }
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
