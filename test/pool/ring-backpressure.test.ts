// A full ring pauses the socket that feeds it (in-process: the test plays the handler thread and does not read its
// ring at first). The server stops reading, so what it holds stays near one ring plus a read, however much the
// client sends; once the handler reads again, every packet is answered in order.
import { afterEach, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { Ring } from "../../src/ring/ring.ts";
import { RingLink } from "../../src/pool/ring-link.ts";
import { K_PACKET, K_REPLY } from "../../src/pool/pool-protocol.ts";
import type { TcpConnection } from "../../src/io/tcp/tcp-connection.ts";
import { PAUSE_RING } from "../../src/io/stream-connection.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { connect } from "../helpers/tcp-client.ts";
import { lineCheck } from "../helpers/line-check.ts";
import { until } from "../helpers/until.ts";
import { S_BYTES_IN } from "../../src/stats/stat-fields.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

const lines = defineModule({
  name: "lines",
  version: "1.0.0",
  grocketd: "^0.1.0",
  check: lineCheck,
  proc: (p) => p, // runs on "the handler" below
});

test("a full ring pauses the socket; reading resumes and nothing is lost or reordered once the handler catches up", async () => {
  const pair = { req: Ring.create(64 * 1024).sab, res: Ring.create(64 * 1024).sab };
  server = startInProcess(lines, { max_packet: 4096 }, { pool: [pair] });
  // The handler side: echoes each packet as its reply.
  const handler: RingLink = new RingLink(
    pair,
    "handler",
    (kind, conn, seq, _f, bytes, off, len) => {
      if (kind === K_PACKET) handler.send(K_REPLY, conn, seq, 0, bytes, off, len);
    },
    (e) => {
      throw e;
    },
  );
  const c = await connect(server.port);
  // ~1.2 MB, 18 rings' worth; lines of 100 bytes, so the ring fills before the connection owes MAX_INFLIGHT replies
  // (which would stop its reading too, for another reason).
  const all = Array.from({ length: 12_000 }, (_, i) => `line ${String(i).padStart(6, "0")} ${"y".repeat(87)}\n`).join("");
  c.write(all);
  type Held = TcpConnection & { isPausedFor(r: number): boolean };
  // Until the full ring pauses reading (was a fixed 300 ms), then a moment for a read already under way to land.
  const conn = await until(() => [...server!.io.conns].find((x) => (x as unknown as Held).isPausedFor(PAUSE_RING)) as unknown as Held | undefined, "reading paused for the ring");
  await Bun.sleep(100);
  expect(conn.isPausedFor(PAUSE_RING)).toBe(true);
  // The thread's bytes read are its one connection's (a connection counts its own only for the access log).
  const read = () => server!.io.stats[S_BYTES_IN]!;
  const heldWhilePaused = read();
  expect(heldWhilePaused).toBeLessThan(all.length / 2); // stopped reading, not buffering everything
  await Bun.sleep(100);
  expect(read()).toBe(heldWhilePaused);
  handler.start();
  const got = await c.waitBytes(all.length, 10_000);
  expect(new TextDecoder().decode(got)).toBe(all);
  expect(conn.isPausedFor(PAUSE_RING)).toBe(false);
  c.end();
  await handler.stop();
});

test("records parked behind a full ring are copies: the connection's buffers are reused long before they go out", async () => {
  const pair = { req: Ring.create(64 * 1024).sab, res: Ring.create(64 * 1024).sab };
  server = startInProcess(lines, { max_packet: 4096 }, { pool: [pair] });
  const handler: RingLink = new RingLink(
    pair,
    "handler",
    (kind, conn, seq, _f, bytes, off, len) => {
      if (kind === K_PACKET) handler.send(K_REPLY, conn, seq, 0, bytes, off, len);
    },
    (e) => {
      throw e;
    },
  );
  const c = await connect(server.port);
  // Longer lines than above: the ring fills with fewer records, so most of them wait parked while new reads come in.
  const all = Array.from({ length: 6000 }, (_, i) => `line-${String(i).padStart(6, "0")}-${"x".repeat(40)}\n`).join("");
  c.write(all);
  await Bun.sleep(300);
  handler.start();
  const got = new TextDecoder().decode(await c.waitBytes(all.length, 10_000)).split("\n");
  const want = all.split("\n");
  const first = want.findIndex((l, i) => got[i] !== l);
  expect(first === -1 ? "all in order" : `line ${first}: got ${got[first]}`).toBe("all in order"); // was: a later line's bytes
  c.end();
  await handler.stop();
});
