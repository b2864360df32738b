// Replies held behind a pending async one (issue 12, item 1): a proc that leaves one packet unanswered (a slow
// database call, or a promise that never settles) while the client streams small packets. Every later reply must wait
// in line, and what waits is bounded: past io.high_water held bytes, or MAX_INFLIGHT replies owed, the connection
// stops reading until the line moves. Inline, over TLS and in pool mode; at close the held replies are let go.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { MAX_INFLIGHT, type TcpConnection } from "../../src/io/tcp/tcp-connection.ts";
import { Ring } from "../../src/ring/ring.ts";
import { RingLink } from "../../src/pool/ring-link.ts";
import { K_PACKET, K_REPLY } from "../../src/pool/pool-protocol.ts";
import { connect, type TestClient } from "../helpers/tcp-client.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { makeTestCert } from "../helpers/tls-cert.ts";
import { S_BYTES_IN } from "../../src/stats/stat-fields.ts";

const made = makeTestCert();
const cert = "skip" in made ? null : made;
afterAll(() => cert?.cleanup());

let server: InProcessServer | undefined;
let handler: RingLink | undefined;
afterEach(async () => {
  server?.stop();
  server = undefined;
  await handler?.stop();
  handler = undefined;
});

const HIGH_WATER = 64 * 1024;
/** If the server has read this much, it did not stop. */
const READ_LIMIT = 8 * 1024 * 1024;

/** Fixed-size packets of `size` bytes, numbered in their first 4 bytes. */
function packets(size: number, count: number, from = 0): Uint8Array {
  const b = new Uint8Array(size * count);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < count; i++) dv.setUint32(i * size, from + i);
  return b;
}

/** A module of `size`-byte packets: packet 0 waits for `gate` (never, if it is never resolved), the rest echo. */
function holder(size: number, gate: Promise<void>) {
  return defineModule({
    name: "holder",
    version: "1.0.0",
    grocketd: "^0.1.0",
    check: (_b, s, e) => (e - s >= size ? size : 0),
    proc: (p) => (new DataView(p.buffer, p.byteOffset).getUint32(0) === 0 ? gate.then(() => new Uint8Array(p)) : p),
  });
}

/** Bytes the server's thread has read: its one connection's (a connection counts its own only for the access log). */
const bytesRead = (): number => server!.io.stats[S_BYTES_IN]!;

function onlyConn(s: InProcessServer): TcpConnection {
  return [...s.io.conns][0] as TcpConnection;
}

/**
 * Streams `burst` until the kernel stops taking bytes for 400 ms (the server stopped reading), the server has read
 * READ_LIMIT bytes (it did not stop), or 8 s pass. Yields whenever the kernel refuses more, so the in-process server
 * can read.
 */
async function stream(c: TestClient, burst: Uint8Array, readByServer: () => number): Promise<{ sent: number; stalled: boolean }> {
  let sent = 0;
  let at = 0;
  let stalledSince = 0;
  const end = performance.now() + 8000;
  while (performance.now() < end && readByServer() < READ_LIMIT) {
    const w = Math.max(0, c.socket.write(burst, at, burst.length - at));
    sent += w;
    at = (at + w) % burst.length;
    if (w > 0) stalledSince = 0;
    else if (stalledSince === 0) stalledSince = performance.now();
    else if (performance.now() - stalledSince > 400) return { sent, stalled: true };
    if (at !== 0 || w === 0) await Bun.sleep(5);
  }
  return { sent, stalled: false };
}

/** What the server holds for one connection stays bounded while its first reply is pending. */
function expectBounded(conn: TcpConnection, size: number, r: { stalled: boolean }): void {
  expect(r.stalled).toBe(true); // the client was pushed back
  expect(bytesRead()).toBeLessThan(2 * 1024 * 1024); // it stopped reading (was: all READ_LIMIT bytes)
  expect(conn.heldBytes).toBeLessThanOrEqual(HIGH_WATER + 64 * 1024);
  expect(conn.owed).toBeLessThanOrEqual(MAX_INFLIGHT + 64 * 1024 / size);
  expect(conn.queuedBytes).toBe(0); // nothing could be written: everything waits behind packet 0
}

async function closedAndReleased(s: InProcessServer, conn: TcpConnection, c: TestClient): Promise<void> {
  c.socket.terminate();
  const end = performance.now() + 3000;
  while (s.io.conns.size > 0 && performance.now() < end) await Bun.sleep(5);
  expect(conn.closed).toBe(true);
  // The pending promise still holds the connection object; its held replies and buffers must not be behind it.
  expect(conn.owed).toBe(0);
  expect(conn.heldBytes).toBe(0);
  expect(conn.keptInput).toBeNull();
}

// 16-byte packets hit the in-flight cap first (1024 owed = 16 KiB), 4 KiB packets the high-water mark (16 held).
const SIZES = [16, 4096];

describe("replies held behind a pending async reply, inline", () => {
  for (const size of SIZES) {
    test(`${size}-byte packets: the server stops reading; when the pending reply settles, every packet is answered in order`, async () => {
      const gate = Promise.withResolvers<void>();
      server = startInProcess(holder(size, gate.promise), { high_water: HIGH_WATER });
      const c = await connect(server.port);
      const first = packets(size, 1); // packet 0: its reply waits for the gate
      c.write(first);
      await Bun.sleep(20);
      const conn = onlyConn(server);
      const body = packets(size, Math.max(1, (64 * 1024) / size), 1);
      const r = await stream(c, body, bytesRead);
      expectBounded(conn, size, r);
      // Other connections are served meanwhile.
      const other = await connect(server.port);
      other.write(packets(size, 1, 5));
      expect(await other.waitBytes(size)).toEqual(packets(size, 1, 5));
      other.end();
      gate.resolve();
      const sent = first.length + r.sent;
      const whole = sent - (sent % size);
      const got = await c.waitBytes(whole, 20_000);
      expect(Buffer.from(got.subarray(0, first.length)).equals(Buffer.from(first))).toBe(true);
      for (let off = first.length; off < whole; off += body.length) {
        const n = Math.min(body.length, whole - off);
        if (!Buffer.from(got.subarray(off, off + n)).equals(Buffer.from(body.subarray(0, n)))) throw new Error(`mismatch at ${off}`);
      }
      c.end();
    });
  }

  test("a pending reply that never settles: reading stays stopped, and closing releases what was held", async () => {
    server = startInProcess(holder(16, new Promise<void>(() => {})), { high_water: HIGH_WATER });
    const c = await connect(server.port);
    c.write(packets(16, 1));
    await Bun.sleep(20);
    const conn = onlyConn(server);
    const r = await stream(c, packets(16, 4096, 1), bytesRead);
    expectBounded(conn, 16, r);
    await closedAndReleased(server, conn, c);
  });
});

describe.skipIf(cert === null)("replies held behind a pending async reply, over TLS", () => {
  test("the server stops reading; closing releases what was held", async () => {
    server = startInProcess(holder(4096, new Promise<void>(() => {})), { high_water: HIGH_WATER }, { protocol: "tls", tls: { cert: cert!.cert, key: cert!.key } });
    const c = await connect(server.port, "127.0.0.1", { tls: true });
    c.write(packets(4096, 1));
    await Bun.sleep(50);
    const conn = onlyConn(server);
    const r = await stream(c, packets(4096, 16, 1), bytesRead);
    expectBounded(conn, 4096, r);
    await closedAndReleased(server, conn, c);
  });
});

describe("replies held behind a pending reply, pool mode", () => {
  for (const size of SIZES) {
    test(`${size}-byte packets: the handler answers all but the first; the I/O thread stops reading, then answers all in order`, async () => {
      const pair = { req: Ring.create(1024 * 1024).sab, res: Ring.create(1024 * 1024).sab };
      server = startInProcess(holder(size, Promise.resolve()), { high_water: HIGH_WATER, max_packet: 64 * 1024 }, { pool: [pair] });
      // The test plays the handler thread: it echoes every packet at once, except the first one of the connection.
      let firstSeq = -1;
      let firstConn = 0;
      let firstBytes: Uint8Array | null = null;
      const h: RingLink = (handler = new RingLink(
        pair,
        "handler",
        (kind, no, seq, _f, bytes, off, len) => {
          if (kind !== K_PACKET) return;
          if (firstSeq < 0) {
            firstSeq = seq;
            firstConn = no;
            firstBytes = bytes.slice(off, off + len);
            return;
          }
          h.send(K_REPLY, no, seq, 0, bytes, off, len);
        },
        (e) => {
          throw e;
        },
      ));
      h.start();
      const c = await connect(server.port);
      c.write(packets(size, 1));
      await Bun.sleep(20);
      const conn = onlyConn(server);
      const body = packets(size, Math.max(1, (64 * 1024) / size), 1);
      const r = await stream(c, body, bytesRead);
      expectBounded(conn, size, r);
      h.send(K_REPLY, firstConn, firstSeq, 0, firstBytes!, 0, firstBytes!.length);
      const sent = size + r.sent;
      const whole = sent - (sent % size);
      const got = await c.waitBytes(whole, 20_000);
      expect(Buffer.from(got.subarray(0, size)).equals(Buffer.from(packets(size, 1)))).toBe(true);
      for (let off = size; off < whole; off += body.length) {
        const n = Math.min(body.length, whole - off);
        if (!Buffer.from(got.subarray(off, off + n)).equals(Buffer.from(body.subarray(0, n)))) throw new Error(`mismatch at ${off}`);
      }
      c.end();
    });
  }
});
