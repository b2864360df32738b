// Stopping: datagrams that still reach the bound socket are answered and owed async replies leave (the listener sits in io.conns only
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

/** True when a socket without SO_REUSEPORT can bind the port, i.e. the listener's socket is closed. */
async function portIsFree(port: number): Promise<boolean> {
  try {
    const s = await Bun.udpSocket({ hostname: "127.0.0.1", port });
    s.close();
    return true;
  } catch {
    return false;
  }
}

describe("udp stop", () => {
  test("drain: datagrams still reaching the bound socket are answered, owed replies go out, closeWhenDone closes it once nothing is owed", async () => {
    server = await startUdpServer(slow(40));
    const io = server.io;
    const c = await udpClient(server.port);
    clients.push(c);
    expect(io.conns.size).toBe(0);
    c.send("before");
    await Bun.sleep(10);
    expect(io.conns.size).toBe(1); // owes one reply
    // What the I/O thread does on stop: draining, then closeWhenDone on everything in io.conns. The kernel keeps
    // handing this socket its share of the port until it closes: those datagrams are answered, not lost.
    io.draining = true;
    for (const k of [...io.conns]) k.closeWhenDone();
    c.send("after");
    const got = await c.waitFor(2);
    expect(got.map(text)).toEqual(["before", "after"]);
    expect(io.conns.size).toBe(0);
    expect(server.listener.stats).toMatchObject({ datagrams: 2, packets: 2, replies: 2 });
    expect(await portIsFree(server.port)).toBe(true); // closed once the last owed reply left
  });

  test("closeWhenDone with nothing owed (a reload's old generation) closes the socket at once", async () => {
    server = await startUdpServer(slow(1));
    const c = await udpClient(server.port);
    clients.push(c);
    c.send("one");
    expect(text((await c.waitFor(1))[0]!)).toBe("one");
    expect(await portIsFree(server.port)).toBe(false);
    server.listener.closeWhenDone();
    expect(await portIsFree(server.port)).toBe(true);
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
