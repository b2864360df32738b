// Topics across child processes (server.processes = 2): the master relays each publish to the other process, whose
// I/O threads deliver it; modules/chat.ts unchanged, with clients in both processes in one room, in order.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startGrocketd, ROOT, type Running } from "../helpers/grocketd.ts";
import { connect, untilReceived as line, type TestClient } from "../helpers/tcp-client.ts";

const CHAT = resolve(ROOT, "modules/chat.ts");
const text = (b: Uint8Array) => new TextDecoder().decode(b);
let running: Running | undefined;
let clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) c.end();
  clients = [];
  await running?.stop("SIGKILL");
  running = undefined;
});

describe("across child processes", () => {
  test("chat: clients in two processes share a room; messages arrive in order both ways", async () => {
    running = await startGrocketd(["--module", CHAT, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_SERVER_PROCESSES: "2" },
    });
    const byPid = new Map<string, TestClient>();
    for (let i = 0; i < 40 && byPid.size < 2; i++) {
      const c = await connect(running.ports[0]!);
      clients.push(c);
      c.write("WHO\n");
      const pid = (await line(c, /pid (\d+)\n/))[1]!;
      if (byPid.has(pid)) c.end();
      else byPid.set(pid, c);
    }
    expect(byPid.size).toBe(2);
    const [a, b] = [...byPid.values()] as [TestClient, TestClient];
    a.write("JOIN hall\n");
    await line(a, /OK joined hall\n/);
    b.write("JOIN hall\n");
    await line(b, /OK joined hall\n/);
    await line(a, /\* user\d+ joined hall\n/);
    const n = 30;
    for (let i = 0; i < n; i++) a.write(`SAY a${i}\n`);
    for (let i = 0; i < n; i++) b.write(`SAY b${i}\n`);
    await line(b, new RegExp(`: a${n - 1}\\n`));
    await line(a, new RegExp(`: b${n - 1}\\n`));
    const order = (c: TestClient, who: string) => [...text(c.received()).matchAll(new RegExp(`: ${who}(\\d+)\\n`, "g"))].map((m) => Number(m[1]));
    expect(order(b, "a")).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(order(a, "b")).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});

describe("the relay's drops", () => {
  test("publishes of another process that a child's main thread cannot put on a full ring are in /status and /metrics", async () => {
    running = await startGrocketd(["--module", resolve(import.meta.dir, "../fixtures/modules/pubsub-flood.ts"), "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_SERVER_PROCESSES: "2", GROCKETD_PUBSUB_RING_BYTES: String(64 * 1024), GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" },
    });
    const status = (await running.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const byPid = new Map<string, TestClient>();
    for (let i = 0; i < 40 && byPid.size < 2; i++) {
      const c = await connect(running.ports[0]!);
      clients.push(c);
      c.write("PID\n");
      const pid = (await line(c, /pid (\d+)\n/))[1]!;
      if (byPid.has(pid)) c.end();
      else byPid.set(pid, c);
    }
    expect(byPid.size).toBe(2);
    const [a, b] = [...byPid.values()] as [TestClient, TestClient];
    // b's I/O thread is busy for 2 s: what its process's main thread relays to it waits in a 64 KiB ring, and
    // a's 400 publishes of 1000 bytes cannot all fit there.
    b.write("SPIN 2000\n");
    await Bun.sleep(100);
    a.write("FLOOD 400 1000\n");
    await line(a, /flooded\n/);
    await line(b, /spun\n/);
    let s: any;
    for (const end = Date.now() + 5000; Date.now() < end; await Bun.sleep(100)) {
      s = await (await fetch(`${status}/status`)).json();
      if (s.pubsub.dropped.ring_full > 0) break;
    }
    const main = s.per_thread.filter((t: any) => t.role === "main");
    expect(main.length).toBe(2); // one per child process
    const dropped = main.reduce((n: number, t: any) => n + t.pubsub.dropped.ring_full, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(400);
    expect(s.pubsub.dropped.ring_full).toBeGreaterThanOrEqual(dropped); // the sums include the main threads
    expect(s.threads).toEqual({ io: 2, handler: 0 }); // the main threads are not I/O threads
    const metrics = await (await fetch(`${status}/metrics`)).text();
    const sample = [...metrics.matchAll(/grocketd_pubsub_dropped_total\{process="\d",thread="main",reason="ring_full"\} (\d+)/g)].map((m) => Number(m[1]));
    expect(sample.reduce((x, y) => x + y, 0)).toBe(dropped);
  });
});
