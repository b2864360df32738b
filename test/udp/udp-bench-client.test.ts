// The UDP benchmark client (bench/lib/udp-kiss-*.ts): clean runs against grocketd's listener count no loss, and
// broken echoes are caught: corrupted bytes are mismatches, missing echoes are loss, late echoes are "late".
import { afterEach, describe, expect, test } from "bun:test";
import type { udp } from "bun";
import { runUdpClient } from "../../bench/lib/udp-kiss-client.ts";
import { kissPacket, parseKiss } from "../../bench/lib/udp-kiss-packet.ts";
import udpEcho from "../../bench/modules/udp-echo.ts";
import { startUdpServer, type UdpServer } from "./udp-harness.ts";

let server: UdpServer | undefined;
const sockets: udp.Socket<"uint8array">[] = [];
afterEach(() => {
  server?.stop();
  server = undefined;
  for (const s of sockets.splice(0)) s.close();
});

/** A UDP echo in this process whose answer to each datagram is decided by `reply` (null = none). */
async function brokenEcho(reply: (d: Uint8Array, n: number) => Uint8Array | null, delayMs = 0): Promise<number> {
  let n = 0;
  const s = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    binaryType: "uint8array",
    socket: {
      data(sock, d, port, addr) {
        const out = reply(d, n++);
        if (!out) return;
        if (delayMs) setTimeout(() => sock.closed || sock.send(out, port, addr), delayMs);
        else sock.send(out, port, addr);
      },
    },
  });
  sockets.push(s);
  return s.port;
}

describe("udp bench client", () => {
  test("kiss packets of any size round-trip through the parser", () => {
    for (const size of [18, 44, 64, 1000]) for (const id of [0, 7, 12345, 2 ** 40]) expect(parseKiss(kissPacket(id, size), size)).toBe(id);
    const bad = kissPacket(5, 64);
    bad[40] = 0x42;
    expect(parseKiss(bad, 64)).toBe(-1);
    expect(parseKiss(kissPacket(5, 63), 64)).toBe(-1);
  });

  test("against grocketd's listener: every echo verified, no loss, 3 sockets", async () => {
    server = await startUdpServer(udpEcho);
    const s = await runUdpClient({ port: server.port, window: 16, size: 64, sockets: 3, durationSec: 0.3 });
    expect(s).toMatchObject({ ok: true, lost: 0, mismatches: 0, errors: 0, late: 0 });
    expect(s.received).toBe(s.sent);
    expect(s.received).toBeGreaterThan(100);
    expect(s.latencyUs.count).toBe(s.received);
  });

  test("corrupted echoes are mismatches", async () => {
    const port = await brokenEcho((d, n) => {
      const o = d.slice();
      if (n % 10 === 3) o[o.length - 1] = 0x42;
      return o;
    });
    const s = await runUdpClient({ port, window: 4, size: 64, durationSec: 0.2, timeoutMs: 50 });
    expect(s.ok).toBe(false);
    expect(s.mismatches).toBeGreaterThan(0);
    expect(s.failures[0]).toContain("malformed echo");
  });

  test("missing echoes are counted as lost, late ones as late; the window keeps going", async () => {
    const port = await brokenEcho((d, n) => (n % 20 === 5 ? null : d.slice()));
    const s = await runUdpClient({ port, window: 4, size: 64, durationSec: 0.3, timeoutMs: 30 });
    expect(s.lost).toBeGreaterThan(0);
    expect(s.received).toBeGreaterThan(s.lost * 5);
    expect(s.mismatches).toBe(0);
    const slowPort = await brokenEcho((d) => d.slice(), 60);
    const t = await runUdpClient({ port: slowPort, window: 2, size: 64, durationSec: 0.2, timeoutMs: 30 });
    expect(t.lost).toBeGreaterThan(0);
    expect(t.late).toBeGreaterThan(0);
    expect(t.mismatches).toBe(0);
  });
});
