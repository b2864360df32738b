// Topic fan-out and pushes to WebSocket subscribers (src/ws/ws-connection.ts emit, ws-frame-cache.ts, io/push-batch.ts):
// a frame made for one publish is never sent for another one, even when both come from the same reused buffer
// (a module's scratch buffer, the thread's per-packet views) in one turn; every subscriber gets the same bytes,
// whatever its state (deflate on, a reply owed, closing); pushes and publishes keep their order on one connection;
// a subscriber that does not read does not hold the others back.
import { afterEach, describe, expect, test } from "bun:test";
import { inflateRawSync, constants } from "node:zlib";
import type { Conn, ModuleDefinition } from "../../src/module/types.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { openRaw, type RawWs } from "../helpers/ws-client.ts";
import { clientFrame, closeBody } from "../helpers/ws-frames.ts";
import { S_PS_DROP_SLOW } from "../../src/stats/stat-fields.ts";
import { PushBatch } from "../../src/io/push-batch.ts";
import { sharedDeflatedFrame, sharedFrame } from "../../src/ws/ws-frame-cache.ts";
import { OP_TEXT } from "../../src/ws/ws-frame-reader.ts";
import { until } from "../helpers/until.ts";

let server: InProcessServer | undefined;
let raws: RawWs[] = [];
afterEach(() => {
  for (const w of raws) w.c.end();
  raws = [];
  server?.stop();
  server = undefined;
});

const dec = new TextDecoder();
const OFFER = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };
const unz = (p: Uint8Array) => new Uint8Array(inflateRawSync(Buffer.concat([p, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH }));

async function open(port: number, deflate = false): Promise<RawWs> {
  const w = await openRaw(port, "/ws", deflate ? OFFER : {});
  raws.push(w);
  expect(w.status).toBe(101);
  return w;
}

/** Sends `cmd` and waits for the one-frame answer (a SUB's "ok"). */
async function command(w: RawWs, cmd: string, frames: number): Promise<void> {
  w.c.write(clientFrame(1, cmd));
  await w.frames(frames);
}

/** The payloads of the frames after the first `skip`, inflated where RSV1 says so. */
async function payloads(w: RawWs, n: number, skip: number): Promise<Uint8Array[]> {
  const fs = await w.frames(skip + n);
  return fs.slice(skip, skip + n).map((f) => (f.rsv & 4 ? unz(f.payload) : f.payload));
}

const filled = (n: number, c: number) => new Uint8Array(n).fill(c);

/**
 * SUB subscribes to "all"; "PUB2 n" publishes twice from one scratch buffer of n bytes, refilled between the two
 * publishes ('A'-filled, then 'B'-filled); "SEND2 n" does the same with conn.send to every subscriber from a timer.
 */
function reuseModule(subs: Conn[]): ModuleDefinition<unknown> {
  let scratch = new Uint8Array(0);
  const twice = (n: number, out: (b: Uint8Array) => void) => {
    if (scratch.length !== n) scratch = new Uint8Array(n);
    scratch.fill(0x41);
    out(scratch);
    scratch.fill(0x42);
    out(scratch);
  };
  return {
    name: "reuse", version: "1.0.0", grocketd: "^0.1.0",
    proc(p: Uint8Array, conn: Conn) {
      const [cmd, arg] = dec.decode(p).split(" ");
      if (cmd === "SUB") {
        conn.subscribe("all");
        subs.push(conn);
        return "ok";
      }
      const n = Number(arg);
      if (cmd === "PUB2") twice(n, (b) => conn.publish("all", b, { exceptSelf: true }));
      if (cmd === "SEND2") setTimeout(() => twice(n, (b) => { for (const s of subs) s.send(b); }), 1);
      return null;
    },
  } as ModuleDefinition<unknown>;
}

describe("a frame is never reused for another message", () => {
  /** A server of reuseModule and two WebSocket clients subscribed to its topic 1. */
  async function twoSubscribed(deflate: boolean) {
    server = startInProcess(reuseModule([]), { high_water: 1 << 20 }, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0, deflate } });
    const a = await open(server.port, deflate);
    const b = await open(server.port, deflate);
    await command(a, "SUB", 1);
    await command(b, "SUB", 1);
    return [a, b] as const;
  }

  // 70 000 bytes is past what the push batch takes (io/push-batch.ts CONN_MAX): those frames are made apart.
  for (const [what, n, deflate] of [
    ["two large publishes", 70_000, false],
    ["two small publishes", 40, false],
    ["two compressed publishes (permessage-deflate)", 300, true],
  ] as const) {
    test(`${what} from one reused buffer in one proc: each subscriber gets 'A's then 'B's`, async () => {
      const [a, b] = await twoSubscribed(deflate);
      const pub = await open(server!.port, deflate);
      pub.c.write(clientFrame(1, `PUB2 ${n}`));
      for (const w of [a, b]) {
        const [first, second] = await payloads(w, 2, 1);
        expect(Buffer.from(first!).equals(Buffer.from(filled(n, 0x41)))).toBe(true);
        expect(Buffer.from(second!).equals(Buffer.from(filled(n, 0x42)))).toBe(true);
      }
    });
  }

  for (const [what, n, deflate] of [
    ["large", 70_000, false],
    ["compressed", 300, true],
  ] as const) {
    test(`two ${what} conn.send from one reused buffer in a timer: 'A's then 'B's`, async () => {
      const [a, b] = await twoSubscribed(deflate);
      a.c.write(clientFrame(1, `SEND2 ${n}`));
      for (const w of [a, b]) {
        const [first, second] = await payloads(w, 2, 1);
        expect(Buffer.from(first!).equals(Buffer.from(filled(n, 0x41)))).toBe(true);
        expect(Buffer.from(second!).equals(Buffer.from(filled(n, 0x42)))).toBe(true);
      }
    });
  }

  test("publishes of the publisher's own packets (per-packet views of the input buffer), two read events in one turn", async () => {
    // Two publishers whose frames sit at the same offset of the thread's input buffer with the same length: their
    // packets are the same view object when both reads are handled before the microtasks run.
    server = startInProcess(
      { name: "relay", version: "1.0.0", grocketd: "^0.1.0", proc(p: Uint8Array, conn: Conn) {
        if (p.length === 3 && dec.decode(p) === "SUB") return conn.subscribe("all") ? "ok" : "no";
        conn.publish("all", p, { exceptSelf: true });
        return null;
      } } as ModuleDefinition<unknown>,
      {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0 } },
    );
    const s = await open(server.port);
    await command(s, "SUB", 1);
    const p1 = await open(server.port);
    const p2 = await open(server.port);
    const want: string[] = [];
    for (let i = 0; i < 20; i++) {
      const x = `x${String(i).padStart(3, "0")}`;
      const y = `y${String(i).padStart(3, "0")}`;
      want.push(x, y);
      p1.c.write(clientFrame(1, x));
      p2.c.write(clientFrame(1, y));
      await Bun.sleep(1);
    }
    const got = (await payloads(s, 40, 1)).map((b) => dec.decode(b));
    // Each publisher's messages in order, and every message exactly once (none replaced by another).
    expect(got.filter((m) => m.startsWith("x"))).toEqual(want.filter((m) => m.startsWith("x")));
    expect(got.filter((m) => m.startsWith("y"))).toEqual(want.filter((m) => m.startsWith("y")));
  });
});

describe("fan-out to subscribers in different states", () => {
  test("plain, deflate on, binary, with a reply owed, and closing: the same messages, byte for byte, in order", async () => {
    let release: (() => void) | null = null;
    const subs: Conn[] = [];
    server = startInProcess(
      { name: "states", version: "1.0.0", grocketd: "^0.1.0", proc(p: Uint8Array, conn: Conn) {
        const cmd = dec.decode(p);
        if (cmd === "SUB") return conn.subscribe("all"), subs.push(conn), "ok";
        if (cmd === "WAIT") return new Promise<string>((res) => (release = () => res("late")));
        if (cmd.startsWith("PUB ")) {
          for (let i = 0; i < 3; i++) conn.publish("all", `${cmd.slice(4)}-${i}-${"z".repeat(200)}`, { exceptSelf: true });
          return null;
        }
        return null;
      } } as ModuleDefinition<unknown>,
      {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0, deflate: true } },
    );
    const plain = await open(server.port);
    const zipped = await open(server.port, true);
    const owed = await open(server.port);
    const closing = await open(server.port);
    const binary = await open(server.port);
    const plain2 = await open(server.port);
    for (const w of [plain, zipped, owed, closing]) await command(w, "SUB", 1);
    // Its last message was binary: pushes to it go as binary frames (between two text subscribers of the loop).
    binary.c.write(clientFrame(2, "SUB"));
    await binary.frames(1);
    await command(plain2, "SUB", 1);
    owed.c.write(clientFrame(1, "WAIT"));
    await until(() => release !== null, "the pending proc");
    // The closing subscriber sends its close frame: it gets the echo of it and no message after it (§5.5.1).
    closing.c.write(clientFrame(8, closeBody(1000)));
    const cf = await closing.frames(2);
    expect(cf[1]!.opcode).toBe(8);
    const pub = await open(server.port);
    pub.c.write(clientFrame(1, "PUB one"));
    const want = [0, 1, 2].map((i) => `one-${i}-${"z".repeat(200)}`);
    for (const w of [plain, plain2]) {
      expect((await w.frames(4)).slice(1).map((f) => f.opcode)).toEqual([1, 1, 1]);
      expect((await payloads(w, 3, 1)).map((b) => dec.decode(b))).toEqual(want);
    }
    expect((await binary.frames(4)).slice(1).map((f) => f.opcode)).toEqual([2, 2, 2]);
    expect((await payloads(binary, 3, 1)).map((b) => dec.decode(b))).toEqual(want);
    const zf = await zipped.frames(4);
    expect(zf.slice(1).map((f) => f.rsv & 4)).toEqual([4, 4, 4]); // compressed: 200 bytes and more
    expect((await payloads(zipped, 3, 1)).map((b) => dec.decode(b))).toEqual(want);
    // A reply is owed: the publishes wait behind it.
    await Bun.sleep(20);
    expect((await owed.frames(1, 100)).length).toBe(1);
    release!();
    expect((await payloads(owed, 4, 1)).map((b) => dec.decode(b))).toEqual(["late", ...want]);
    await closing.c.closed;
    expect((await closing.frames(2)).length).toBe(2);
  });

  test("pushes and publishes on one connection keep the order they were made in", async () => {
    const subs: Conn[] = [];
    server = startInProcess(
      { name: "order", version: "1.0.0", grocketd: "^0.1.0", proc(p: Uint8Array, conn: Conn) {
        if (dec.decode(p) === "SUB") return conn.subscribe("all"), subs.push(conn), "ok";
        setTimeout(() => {
          for (let i = 0; i < 30; i++) {
            if (i % 3 === 0) for (const s of subs) s.send(`push ${i}`);
            else conn.publish("all", `pub ${i}`);
          }
        }, 1);
        return null;
      } } as ModuleDefinition<unknown>,
      {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0 } },
    );
    const a = await open(server.port);
    const b = await open(server.port);
    await command(a, "SUB", 1);
    await command(b, "SUB", 1);
    a.c.write(clientFrame(1, "GO"));
    const want = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `push ${i}` : `pub ${i}`));
    for (const w of [a, b]) expect((await payloads(w, 30, 1)).map((x) => dec.decode(x))).toEqual(want);
  });

  test("a subscriber that does not read is dropped as a slow consumer; the others get every message", async () => {
    server = startInProcess(
      { name: "slow", version: "1.0.0", grocketd: "^0.1.0", proc(p: Uint8Array, conn: Conn) {
        const cmd = dec.decode(p);
        if (cmd === "SUB") return conn.subscribe("all") ? "ok" : "no";
        for (let i = 0; i < 64; i++) conn.publish("all", `${cmd}:${String(i).padStart(2, "0")}:${"x".repeat(4000)}`, { exceptSelf: true });
        return null;
      } } as ModuleDefinition<unknown>,
      { high_water: 16 * 1024, max_buffered: 256 * 1024 }, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0 } },
    );
    const fast = await open(server.port);
    const slow = await open(server.port);
    await command(fast, "SUB", 1);
    await command(slow, "SUB", 1);
    slow.c.pause();
    const pub = await open(server.port);
    const rounds = 40;
    for (let r = 0; r < rounds; r++) {
      pub.c.write(clientFrame(1, `r${String(r).padStart(2, "0")}`));
      await fast.frames(1 + (r + 1) * 64, 10_000);
    }
    const got = (await payloads(fast, rounds * 64, 1)).map((b) => dec.decode(b).slice(0, 6));
    expect(got).toEqual(Array.from({ length: rounds * 64 }, (_, k) => `r${String(Math.floor(k / 64)).padStart(2, "0")}:${String(k % 64).padStart(2, "0")}`));
    await until(() => server!.io.stats[S_PS_DROP_SLOW]! >= 1, "the slow consumer's drop");
  });
});

describe("the frame cache (ws-frame-cache.ts) and the batch's delivery loops", () => {
  test("a frame is made once per delivery loop and message, never reused across loops or outside one", () => {
    const b = new PushBatch();
    expect(b.loop).toBe(0);
    const m = new Uint8Array([1, 2, 3]);
    b.fanout(true);
    const first = b.loop;
    expect(first).not.toBe(0);
    const f = sharedFrame(OP_TEXT, m, b.loop);
    expect(sharedFrame(OP_TEXT, m, b.loop)).toBe(f); // the next subscriber of the same publish
    expect([...f]).toEqual([0x81, 3, 1, 2, 3]);
    const z = sharedDeflatedFrame(OP_TEXT, m, { windowBits: 15 }, b.loop);
    expect(sharedDeflatedFrame(OP_TEXT, m, { windowBits: 15 }, b.loop)).toBe(z);
    b.fanout(false);
    expect(b.loop).toBe(0);
    m[0] = 9;
    const lone = sharedFrame(OP_TEXT, m, b.loop);
    expect([...lone]).toEqual([0x81, 3, 9, 2, 3]);
    expect(sharedFrame(OP_TEXT, m, b.loop)).not.toBe(lone); // outside a loop: made each time
    b.fanout(true);
    expect(b.loop).not.toBe(first);
    m[0] = 7;
    expect([...sharedFrame(OP_TEXT, m, b.loop)]).toEqual([0x81, 3, 7, 2, 3]); // a new loop: the new bytes
    b.fanout(false);
  });
});
