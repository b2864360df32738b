// Datagrams reach more than one thread: two Bun Workers each run listenUdp on the same port (SO_REUSEPORT), as two
// I/O threads do (bench/udp-grocketd-thread.ts is that thread), and 64 client sockets — 64 source ports, which the
// kernel hashes over the two sockets — each send one datagram that is answered with the thread's index.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { formatListenUrl } from "../../src/config/listen-url.ts";
import type { UdpStats } from "../../src/io/udp/udp-listener.ts";
import type { FromThread, ToThread } from "../../bench/udp-grocketd-thread.ts";
import { text, udpClient, type UdpClient } from "./udp-harness.ts";
import { startGrocketd } from "../helpers/grocketd.ts";

const MODULE = resolve(import.meta.dir, "thread-id-module.ts");

interface Thread {
  w: Worker;
  next(): Promise<FromThread>;
}

const workers: Worker[] = [];
const clients: UdpClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const w of workers.splice(0)) w.terminate();
});

function spawn(): Thread {
  const w = new Worker(resolve(import.meta.dir, "../../bench/udp-grocketd-thread.ts"));
  workers.push(w);
  const inbox: FromThread[] = [];
  let waiter: ((m: FromThread) => void) | null = null;
  w.onmessage = (ev: MessageEvent<FromThread>) => {
    if (waiter) {
      const f = waiter;
      waiter = null;
      f(ev.data);
    } else inbox.push(ev.data);
  };
  return { w, next: () => (inbox.length ? Promise.resolve(inbox.shift()!) : new Promise((r) => (waiter = r))) };
}

async function twoThreads(backend: "auto" | "dgram"): Promise<void> {
  const threads: Thread[] = [];
  let port = 0;
  for (let index = 0; index < 2; index++) {
    const t = spawn();
    threads.push(t);
    t.w.postMessage({ t: "start", index, module: MODULE, url: formatListenUrl("udp", "127.0.0.1", port), backend } satisfies ToThread);
    const m = await t.next();
    if (m.t !== "listening") throw new Error(`thread ${index}: ${JSON.stringify(m)}`);
    expect(m.backend).toBe(backend === "dgram" ? "dgram" : "bun");
    port = m.port; // the first thread picks the port, the second shares it
  }
  const cs = await Promise.all(Array.from({ length: 64 }, () => udpClient(port)));
  clients.push(...cs);
  for (const c of cs) c.send("which thread?");
  const seen = new Map<string, number>();
  for (const c of cs) {
    const [d] = await c.waitFor(1);
    const id = text(d!);
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  expect([...seen.keys()].sort()).toEqual(["0", "1"]);
  const stats: UdpStats[] = [];
  for (const t of threads) {
    t.w.postMessage({ t: "stop" } satisfies ToThread);
    const m = await t.next();
    if (m.t === "stopped") stats.push(m.stats);
  }
  // Each thread answered exactly what it received, and together they received every datagram once.
  expect(stats.map((s) => s.datagrams)).toEqual([seen.get("0") ?? 0, seen.get("1") ?? 0]);
  expect(stats.map((s) => s.replies)).toEqual([seen.get("0") ?? 0, seen.get("1") ?? 0]);
}

describe("udp threads", () => {
  test("two I/O threads on one port both receive datagrams (Bun.udpSocket with SO_REUSEPORT)", () => twoThreads("auto"));
  test("the same with the node:dgram backend", () => twoThreads("dgram"));

  test("the real command: `grocketd --threads 2 --listen udp://…` answers from both I/O threads", async () => {
    const running = await startGrocketd(["--module", MODULE, "--listen", "udp://127.0.0.1:0", "--threads", "2"]);
    try {
      const cs = await Promise.all(Array.from({ length: 64 }, () => udpClient(running.ports[0]!)));
      clients.push(...cs);
      for (const c of cs) c.send("which thread?");
      const seen = new Set<string>();
      for (const c of cs) seen.add(text((await c.waitFor(1))[0]!));
      expect([...seen].sort()).toEqual(["0", "1"]);
    } finally {
      await running.stop("SIGTERM");
    }
  });
});
