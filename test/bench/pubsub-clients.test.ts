// Tests for bench:pubsub's clients (bench/lib/pubsub-clients.ts): the paced publisher (`batch` K) writes exactly K
// publishes per write and the next only once all are delivered (seen by an in-process TCP fan-out server that counts
// the publishes in each chunk it reads), and its hand-made WebSocket upgrade and masked frames work against the
// Bun.serve anchor (bench/servers/bun-ws-pubsub.ts) and the bare floor (bare-ws-pubsub.ts) with every delivery verified.

import { afterAll, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { resolve } from "node:path";
import { type ChildServer, startServer } from "../../bench/lib/child-server.ts";
import { type FanoutLoad, fanoutAnchorWs, fanoutGrocketdTcp } from "../../bench/lib/pubsub-clients.ts";

const repo = resolve(import.meta.dir, "../..");
const listeners: TCPSocketListener<unknown>[] = [];
const children: ChildServer[] = [];
afterAll(async () => {
  for (const l of listeners) l.stop(true);
  await Promise.all(children.map((c) => c.stop()));
});

/** bench/modules/fanout.ts's line protocol in this process: SUB and TID answered, any other line sent to every
 * subscriber; `chunks` gets the number of publishes in each chunk read from the publisher. */
function lineFanout(chunks: number[], tids: string[] = ["0:1"]): ChildServer {
  const subs = new Set<Socket<unknown>>();
  let asked = 0;
  const l = Bun.listen<unknown>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(s, d) {
        const text = d.toString("latin1");
        if (text === "SUB\n") return void (subs.add(s), s.write("OK 0:1 0\n"));
        // Each TID answered with the next of `tids`: connections landing on one thread or another.
        if (text === "TID\n") return void s.write(`${tids[asked++ % tids.length]}\n`);
        chunks.push(text.split("\n").length - 1);
        for (const t of subs) t.write(text);
      },
      close: (s) => void subs.delete(s),
    },
  });
  listeners.push(l);
  // CPU is read from this process (the server runs here).
  return { name: "line-fanout", pid: process.pid, port: l.port } as unknown as ChildServer;
}

const load = (batch: number | undefined, messages: number): FanoutLoad => ({
  subscribers: 8,
  messages,
  size: 32,
  window: 4,
  ...(batch === undefined ? {} : { batch }),
  timeoutMs: 10_000,
});

test("publisherNotOn: the run's publisher is one that landed elsewhere (the warm-up runs alternate threads)", async () => {
  const threads = ["0:1", "0:1", "1:1"];
  expect((await fanoutGrocketdTcp(lineFanout([], threads), load(4, 8))).publisher).toBe("0:1");
  const r = await fanoutGrocketdTcp(lineFanout([], threads), { ...load(4, 8), publisherNotOn: "0:1" });
  expect(r.publisher).toBe("1:1");
  expect(r.deliveries).toBe(8 * 8);
  // Where every connection lands on the one thread, the run still goes ahead (after 16 tries).
  expect((await fanoutGrocketdTcp(lineFanout([]), { ...load(4, 8), publisherNotOn: "0:1" })).publisher).toBe("0:1");
});

test("paced: K publishes per write, the next write after every delivery, the last batch short", async () => {
  const chunks: number[] = [];
  const r = await fanoutGrocketdTcp(lineFanout(chunks), load(4, 42));
  expect(r.deliveries).toBe(8 * 42);
  // The server's threads other than its I/O ones, by name (here: this test process's own threads).
  expect(r.otherCpuSeconds?.size ?? 0).toBeGreaterThan(0);
  // 42 = 10 × 4 + 2: had the next write gone before all deliveries, chunks would coalesce (8, 12, ...).
  expect(chunks).toEqual([...Array(10).fill(4), 2]);
});

test("windowed (no batch): one publish per write; with a window of 1, one write in flight", async () => {
  const chunks: number[] = [];
  await fanoutGrocketdTcp(lineFanout(chunks), { ...load(undefined, 30), window: 1 });
  expect(chunks).toEqual(Array(30).fill(1));
});

// The Bun.serve anchor and the bare Bun.listen floor (which parses the publisher's frames itself) alike; the floor
// over two threads too, run twice on one server: the first run's closes must not reach the second run's sockets.
const anchors = [["bun-ws", ["bun-ws-pubsub.ts"], 1], ["bare-ws", ["bare-ws-pubsub.ts"], 1], ["bare-ws-2t", ["bare-ws-pubsub.ts", "--threads", "2"], 2]] as const;
for (const [name, [file, ...args], runs] of anchors) {
  test(`the raw WebSocket publisher against ${name}: paced, every delivery verified`, async () => {
    const server = await startServer(name, [process.execPath, `bench/servers/${file}`, ...args], { cwd: repo });
    children.push(server);
    for (let i = 0; i < runs; i++) {
      const r = await fanoutAnchorWs(server, load(5, 23), "m");
      expect(r.deliveries).toBe(8 * 23);
      expect(r.cpuSeconds).toBeGreaterThanOrEqual(0);
    }
  });
}
