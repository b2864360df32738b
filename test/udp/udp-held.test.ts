// What pending async replies hold over UDP is bounded per sender and per listener (issue 12, item 1): each keeps
// its datagram alive until it settles, so a sender whose replies never come must not make the server hold any amount
// of its datagrams. Beyond the bounds datagrams are dropped unanswered and counted; other senders are served.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
const HELD_SENDERS = 16, MAX_OWED_PER_SENDER = 1024;
import { S_UDP_OVERLOADED } from "../../src/stats/stat-fields.ts";
import { startUdpServer, text, udpClient, type UdpClient, type UdpServer } from "./udp-harness.ts";

let server: UdpServer | undefined;
const clients: UdpClient[] = [];
afterEach(() => {
  server?.stop();
  server = undefined;
  for (const c of clients.splice(0)) c.close();
});

/** Datagrams starting with "w" are answered when `gate` opens (never, if it does not); the rest at once. */
function gated(gate: Promise<void>) {
  return defineModule({
    name: "gated",
    version: "1.0.0",
    grocketd: "^0.1.0",
    proc: (p) => (p[0] === 0x77 ? gate.then(() => `late ${p.length}`) : `now ${text(p)}`),
  });
}

/** Sends `count` datagrams in small batches, letting the in-process server read between them (no loopback loss). */
async function sendMany(s: UdpServer, c: UdpClient, d: string, count: number): Promise<void> {
  const before = s.listener.stats.datagrams;
  for (let i = 0; i < count; i++) {
    c.send(d);
    if (i % 50 === 49) await Bun.sleep(2);
  }
  const end = performance.now() + 3000;
  while (s.listener.stats.datagrams - before < count && performance.now() < end) await Bun.sleep(5);
  expect(s.listener.stats.datagrams - before).toBe(count);
}

async function open(): Promise<UdpClient> {
  const c = await udpClient(server!.port);
  clients.push(c);
  return c;
}

describe("udp: async replies held per sender", () => {
  test("past MAX_OWED_PER_SENDER pending replies a sender's datagrams are dropped and counted; others are served; it is served again once they settle", async () => {
    const gate = Promise.withResolvers<void>();
    server = await startUdpServer(gated(gate.promise));
    const a = await open();
    await sendMany(server, a, "wait", MAX_OWED_PER_SENDER + 300);
    expect(server.listener.stats.overloaded).toBe(300); // was 0: all of them held
    expect(server.io.stats[S_UDP_OVERLOADED]).toBe(300); // the thread's field, read by /status and /metrics
    a.send("hi"); // even a packet that would be answered at once: the sender holds too much already
    const b = await open();
    b.send("hi");
    expect(text((await b.waitFor(1))[0]!)).toBe("now hi");
    expect(server.listener.stats.overloaded).toBe(301);
    expect(a.got.length).toBe(0);
    const repliesBefore = server.listener.stats.replies;
    gate.resolve();
    // 1024 replies leave at once: the kernel takes them all, the client's receive buffer may not (loopback UDP).
    const end = performance.now() + 3000;
    while (server.listener.stats.replies - repliesBefore < MAX_OWED_PER_SENDER && performance.now() < end) await Bun.sleep(5);
    expect(server.listener.stats.replies - repliesBefore).toBe(MAX_OWED_PER_SENDER);
    await a.settle(50);
    expect(a.got.length).toBeGreaterThan(0);
    expect(a.got.every((g) => text(g) === "late 4")).toBe(true);
    const had = a.got.length;
    a.send("again");
    expect(text((await a.waitFor(had + 1))[had]!)).toBe("now again");
  });

  test("a sender's held datagram bytes stay within io.high_water, and all senders' within HELD_SENDERS times that", async () => {
    const highWater = 1024;
    server = await startUdpServer(gated(new Promise<void>(() => {})), { high_water: highWater });
    const d = "w".repeat(100);
    const one = await open();
    await sendMany(server, one, d, 20);
    // The 11th datagram takes it to 1100 bytes (it is counted once accepted), the 12th is refused.
    expect(server.listener.stats.overloaded).toBe(9);
    const many: UdpClient[] = [];
    for (let i = 0; i < HELD_SENDERS + 4; i++) many.push(await open());
    for (const c of many) await sendMany(server, c, d, 11);
    const handler = server.listener as unknown as { heldBytes: number };
    expect(handler.heldBytes).toBeLessThanOrEqual(HELD_SENDERS * highWater + 100);
    expect(handler.heldBytes).toBeGreaterThan((HELD_SENDERS - 1) * highWater);
  });
});
