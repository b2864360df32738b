// Stopping: draining ignores new datagrams but lets owed async replies leave (the listener sits in io.conns only
// while it owes some, so the thread's drain waits for it); stop() closes at once and counts late replies as unsent.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { startUdpServer, text, udpClient, type UdpClient, type UdpServer } from "./udp-harness.ts";

let server: UdpServer | undefined;
const clients: UdpClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  server?.stop();
  server = undefined;
});

const slow = (ms: number) =>
  defineModule({
    name: "slow",
    version: "1.0.0",
    grocketd: "^0.1.0",
    proc: (p) => Bun.sleep(ms).then(() => p.slice()),
  });

describe("udp stop", () => {
  test("drain: owed async replies still go out, new datagrams are ignored, then the socket closes", async () => {
    server = await startUdpServer(slow(40));
    const io = server.io;
    const c = await udpClient(server.port);
    clients.push(c);
    expect(io.conns.size).toBe(0);
    c.send("before");
    await Bun.sleep(10);
    expect(io.conns.size).toBe(1); // owes one reply
    // What the I/O thread does on stop: draining, then closeWhenDone on everything in io.conns.
    io.draining = true;
    for (const k of [...io.conns]) k.closeWhenDone();
    c.send("after");
    const got = await c.waitFor(1);
    expect(text(got[0]!)).toBe("before");
    expect(io.conns.size).toBe(0);
    expect((await c.settle(60)).length).toBe(1);
    expect(server.listener.stats).toMatchObject({ datagrams: 2, packets: 1, replies: 1 });
  });

  test("stop() closes at once; an async reply that settles later is counted as unsent", async () => {
    server = await startUdpServer(slow(20));
    const c = await udpClient(server.port);
    clients.push(c);
    c.send("x");
    await Bun.sleep(5);
    server.stop();
    server.stop(); // idempotent
    await Bun.sleep(40);
    expect(c.got.length).toBe(0);
    expect(server.listener.stats).toMatchObject({ packets: 1, replies: 0, unsent: 1 });
    expect(server.io.conns.size).toBe(0);
  });

  test("a port in use by a socket without SO_REUSEPORT is a GRK_ERR_LISTEN error", async () => {
    const other = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    try {
      const e = await startUdpServer(slow(1), {}, { url: `udp://127.0.0.1:${other.port}` }).catch((err: unknown) => err);
      expect(e).toMatchObject({ code: "GRK_ERR_LISTEN" });
      expect(String((e as Error).message)).toContain(`udp://127.0.0.1:${other.port}`);
    } finally {
      other.close();
    }
  });
});
