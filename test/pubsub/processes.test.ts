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
