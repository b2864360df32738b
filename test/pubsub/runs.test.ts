// Runs of publishes (io/push-batch.ts, pubsub/hub.ts): consecutive publishes of one topic to the same subscribers
// share one range of the push batch. These are the cases a run must not get wrong: whoever joins, leaves, is pushed
// to, has an event of its own or is closed between two publishes of a run gets exactly what it would get without
// runs, in order, and a run never takes a subscriber past its bound. Real TCP and WebSocket connections of one I/O
// thread context on sockets that record every write (as bench/micro/pubsub-fanout.bench.ts builds them).
import { describe, expect, test } from "bun:test";
import { defaultConfig } from "../../src/config/keys.ts";
import { InlineBackend } from "../../src/inline/inline-backend.ts";
import { IoContext } from "../../src/io/io-context.ts";
import { PushBatch } from "../../src/io/push-batch.ts";
import { TcpConnection } from "../../src/io/tcp/tcp-connection.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { ModuleDefinition } from "../../src/module/types.ts";
import { S_PS_DELIVERIES } from "../../src/stats/stat-fields.ts";
import { WsConnection, type WsService } from "../../src/ws/ws-connection.ts";

const log = createLogger({ level: "error", format: "text", where: "test" });
const dec = new TextDecoder();

/**
 * `proc` of the test module, for the cases fed through a connection's own read: "R" answers "reply;", "P<text>"
 * publishes <text> to "room" (no exceptSelf: the publisher is a subscriber too, as in a chat room).
 */
const proc: ModuleDefinition<unknown>["proc"] = (packet, conn) => {
  const text = dec.decode(packet);
  if (text === "R") return "reply;";
  if (text.startsWith("P")) conn.publish("room", new TextEncoder().encode(text.slice(1)));
  return null;
};

/** The test module's close hook, when a test sets one. */
let onCloseHook: ((conn: unknown) => void) | null = null;

/** A client's text frame (RFC 6455 §5.2: masked; a zero key leaves the payload as it is). */
function clientFrame(text: string): Uint8Array {
  const p = new TextEncoder().encode(text);
  return new Uint8Array([0x81, 0x80 | p.length, 0, 0, 0, 0, ...p]);
}

function context(highWater = 1 << 20, maxRanges?: number) {
  const io = new IoContext(0, defaultConfig(), log);
  // A batch that writes out after a few ranges, so a delivery loop meets a write-out halfway.
  if (maxRanges !== undefined) (io as { batch: PushBatch }).batch = new PushBatch(maxRanges);
  io.backend = new InlineBackend(io);
  const def = { name: "runs", version: "1.0.0", grocketd: "^0.1.0", proc, close: (c: unknown) => onCloseHook?.(c) } as ModuleDefinition<unknown>;
  const service = { def, moduleIndex: 0, log, maxPacket: 1 << 20, highWater, backend: io.backend.forModule(def, 0) };
  const wsService: WsService = { ...service, hooks: undefined, maxMessage: 1 << 20, idleMs: 0, pingMs: 0, closeMs: 1000, deflate: false };
  /** A socket that keeps each write's bytes. */
  const socket = () => {
    const writes: Uint8Array[] = [];
    return {
      writes,
      remoteAddress: "127.0.0.1",
      remotePort: 40000,
      localPort: 8000,
      write(b: Uint8Array | string, off = 0, len?: number): number {
        // A copy: the batch's scratch buffer is reused for the next connection (a Buffer's slice would be a view).
        const bytes = typeof b === "string" ? new TextEncoder().encode(b) : new Uint8Array(b.subarray(off, off + (len ?? b.length - off)));
        writes.push(bytes);
        return bytes.length;
      },
      pause() {},
      resume() {},
      end() {},
      terminate() {},
    };
  };
  const tcp = () => {
    const s = socket();
    const c = new TcpConnection(s as never, io, service);
    c.accept();
    return { c, s };
  };
  const ws = () => {
    const t = tcp();
    return { c: new WsConnection(t.c, wsService, undefined), s: t.s };
  };
  const wsDeflate = () => {
    const t = tcp();
    return { c: new WsConnection(t.c, { ...wsService, deflate: true }, undefined, { windowBits: 15 }), s: t.s };
  };
  // The end of the turn, as setImmediate runs it (its own scheduled call then finds nothing to write).
  const endTurn = () => (io.batch as unknown as { flushAll: () => void }).flushAll();
  return { io, tcp, ws, wsDeflate, endTurn };
}

/** The server frames in `bytes` (unmasked, lengths < 126 or 16-bit: what these tests send): RSV1 and payload. */
function frames(bytes: Uint8Array): Array<{ rsv1: boolean; payload: Uint8Array }> {
  const out: Array<{ rsv1: boolean; payload: Uint8Array }> = [];
  for (let off = 0; off < bytes.length; ) {
    let len = bytes[off + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      len = (bytes[off + 2]! << 8) | bytes[off + 3]!;
      head = 4;
    }
    out.push({ rsv1: (bytes[off]! & 0x40) !== 0, payload: bytes.subarray(off + head, off + head + len) });
    off += head + len;
  }
  return out;
}

const payloads = (bytes: Uint8Array) => frames(bytes).map((f) => dec.decode(f.payload));

/** Runs `publishes` (five or more in a row, the first burst of the turn) and checks they left a run in progress. */
function inRun(io: IoContext, publishes: () => void): void {
  const ext0 = io.batch.runExtensions;
  publishes();
  expect(io.batch.runExtensions).toBeGreaterThan(ext0);
}

/** `n` WebSocket subscribers of "room" with m0..m5 published to them: a run in progress. */
function roomInRun(n: number) {
  const t = context();
  const subs = Array.from({ length: n }, () => t.ws());
  for (const { c } of subs) t.io.pubsub.subscribe(c, "room");
  inRun(t.io, () => {
    for (let i = 0; i < 6; i++) t.io.pubsub.publish("room", msg(i));
  });
  return { ...t, subs };
}

const wsGot = (s: { writes: Uint8Array[] }) => s.writes.flatMap(payloads);
const tcpGot = (s: { writes: Uint8Array[] }) => s.writes.map((w) => dec.decode(w)).join("");
const msg = (i: number) => new TextEncoder().encode(`m${i};`);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => `m${a + i};`);

describe("runs of publishes", () => {
  test("16 publishes to 50 WebSocket subscribers, two turns: runs, each gets all 16 in order in one write per turn", () => {
    const { io, ws, endTurn } = context();
    const subs = Array.from({ length: 50 }, () => ws());
    for (const { c } of subs) io.pubsub.subscribe(c, "room");
    // The first burst forms its run at the 4th publish (12 extend it); the next, after a burst that long, at the 2nd.
    for (const [turn, extensions] of [[0, 12], [1, 14]] as const) {
      const ext0 = io.batch.runExtensions;
      for (let i = 0; i < 16; i++) expect(io.pubsub.publish("room", msg(turn * 16 + i))).toBe(50);
      expect(io.batch.runExtensions - ext0).toBe(extensions);
      endTurn();
    }
    for (const { s } of subs) {
      expect(s.writes.length).toBe(2);
      expect(wsGot(s)).toEqual(range(0, 32));
    }
  });

  test("bursts of 2 and 3 publishes form no run (forming would cost more than it saves)", () => {
    const { io, ws, endTurn } = context();
    const subs = Array.from({ length: 5 }, () => ws());
    for (const { c } of subs) io.pubsub.subscribe(c, "room");
    const ext0 = io.batch.runExtensions;
    let m = 0;
    for (const burst of [2, 3, 2, 3, 3]) {
      for (let i = 0; i < burst; i++) io.pubsub.publish("room", msg(m++));
      endTurn();
    }
    expect(io.batch.runExtensions).toBe(ext0);
    for (const { s } of subs) expect(wsGot(s)).toEqual(range(0, m));
  });

  test("TCP subscribers too, and the deliveries are counted as if each were delivered alone", () => {
    const { io, tcp, endTurn } = context();
    const subs = Array.from({ length: 20 }, () => tcp());
    for (const { c } of subs) io.pubsub.subscribe(c, "t");
    const d0 = io.stats[S_PS_DELIVERIES]!;
    let n = 0;
    for (let i = 0; i < 10; i++) n += io.pubsub.publish("t", msg(i));
    expect(n).toBe(200);
    expect(io.stats[S_PS_DELIVERIES]! - d0).toBe(200);
    endTurn();
    for (const { s } of subs) expect(tcpGot(s)).toBe(range(0, 10).join(""));
  });

  test("a push to one subscriber between two publishes of a run stays between them, for it alone", () => {
    const { io, subs, endTurn } = roomInRun(10);
    subs[3]!.c.send("private;");
    for (let i = 6; i < 12; i++) io.pubsub.publish("room", msg(i));
    endTurn();
    subs.forEach(({ s }, k) => expect(wsGot(s)).toEqual(k === 3 ? [...range(0, 6), "private;", ...range(6, 12)] : range(0, 12)));
  });

  test("one that subscribes during a run gets the publishes after it, and the others all of them", () => {
    const { io, ws, subs, endTurn } = roomInRun(5);
    const late = ws();
    io.pubsub.subscribe(late.c, "room");
    for (let i = 6; i < 12; i++) expect(io.pubsub.publish("room", msg(i))).toBe(6);
    endTurn();
    expect(wsGot(late.s)).toEqual(range(6, 12));
    for (const { s } of subs) expect(wsGot(s)).toEqual(range(0, 12));
  });

  test("one that unsubscribes during a run gets the publishes before it, and the others all of them", () => {
    const { io, subs, endTurn } = roomInRun(5);
    io.pubsub.unsubscribe(subs[0]!.c, "room");
    for (let i = 6; i < 12; i++) expect(io.pubsub.publish("room", msg(i))).toBe(4);
    endTurn();
    expect(wsGot(subs[0]!.s)).toEqual(range(0, 6));
    for (const { s } of subs.slice(1)) expect(wsGot(s)).toEqual(range(0, 12));
  });

  test("a subscriber's read between two publishes of a run: its reply, then its own publish, stay in that order", () => {
    const { io, subs, endTurn } = roomInRun(4);
    // One read of two messages: the first is answered (into the cork), the second publishes to the room it is in.
    subs[1]!.c.onData(new Uint8Array([...clientFrame("R"), ...clientFrame("Pm6;")]));
    for (let i = 7; i < 12; i++) io.pubsub.publish("room", msg(i));
    endTurn();
    expect(wsGot(subs[1]!.s)).toEqual([...range(0, 6), "reply;", ...range(6, 12)]);
    for (const k of [0, 2, 3]) expect(wsGot(subs[k]!.s)).toEqual(range(0, 12));
  });

  test("a subscriber closed or terminated during a run: the others get everything, it nothing more", () => {
    const { io, subs, endTurn } = roomInRun(5);
    subs[2]!.c.terminate("test");
    subs[2]!.c.onClose();
    subs[4]!.c.onClose();
    for (let i = 6; i < 12; i++) expect(io.pubsub.publish("room", msg(i))).toBe(3);
    endTurn();
    expect(subs[2]!.s.writes.length).toBe(0);
    for (const k of [0, 1, 3]) expect(wsGot(subs[k]!.s)).toEqual(range(0, 12));
  });

  test("WebSocket and TCP subscribers of one topic frame differently: no run, each gets its own framing", () => {
    const { io, ws, tcp, endTurn } = context();
    const w = [ws(), ws()];
    const t = [tcp(), tcp()];
    for (const { c } of [...w, ...t]) io.pubsub.subscribe(c, "mixed");
    const ext = io.batch.runExtensions;
    for (let i = 0; i < 6; i++) io.pubsub.publish("mixed", msg(i));
    expect(io.batch.runExtensions).toBe(ext);
    endTurn();
    for (const { s } of w) expect(wsGot(s)).toEqual(range(0, 6));
    for (const { s } of t) expect(tcpGot(s)).toBe(range(0, 6).join(""));
  });

  test("publishes with another exception, or to another topic in between, are not added to the run", () => {
    const { io, ws, endTurn } = context();
    const subs = Array.from({ length: 4 }, () => ws());
    for (const { c } of subs) io.pubsub.subscribe(c, "a");
    io.pubsub.subscribe(subs[0]!.c, "b");
    inRun(io, () => {
      for (let i = 0; i < 6; i++) io.pubsub.publish("a", msg(i));
    });
    io.pubsub.publish("a", msg(6), subs[1]!.c.id);
    io.pubsub.publish("b", msg(7));
    for (let i = 8; i < 12; i++) io.pubsub.publish("a", msg(i));
    endTurn();
    expect(wsGot(subs[0]!.s)).toEqual(range(0, 12));
    expect(wsGot(subs[1]!.s)).toEqual([...range(0, 6), ...range(8, 12)]);
    for (const k of [2, 3]) expect(wsGot(subs[k]!.s)).toEqual([...range(0, 7), ...range(8, 12)]);
  });

  test("a run stops short of a subscriber's bound: its share is written when full, the rest follows in order", () => {
    // High water 100 bytes: a run of 5-byte frames (2 + 'mNN;') may not reach it, so shares are written on the way.
    const { io, ws, endTurn } = context(100);
    const subs = Array.from({ length: 3 }, () => ws());
    for (const { c } of subs) io.pubsub.subscribe(c, "room");
    const early = io.batch.earlyWrites;
    for (let i = 10; i < 70; i++) io.pubsub.publish("room", msg(i));
    expect(io.batch.earlyWrites).toBeGreaterThan(early);
    endTurn();
    for (const { s } of subs) {
      expect(wsGot(s)).toEqual(range(10, 70));
      // As without runs, a share is written once it reaches the bound: at most one frame (5 bytes) past it.
      expect(s.writes.length).toBeGreaterThan(2);
      for (const w of s.writes) expect(w.length).toBeLessThan(100 + 5);
    }
  });

  test("the batch written out halfway through a delivery loop (its ranges full): every subscriber still gets all", () => {
    for (const limit of [3, 4, 5, 7]) {
      const { io, ws, endTurn } = context(1 << 20, limit);
      const subs = Array.from({ length: 6 }, () => ws());
      for (const { c } of subs) io.pubsub.subscribe(c, "room");
      for (let i = 0; i < 12; i++) io.pubsub.publish("room", msg(i));
      endTurn();
      for (const { s } of subs) expect(wsGot(s)).toEqual(range(0, 12));
    }
  });

  test("a close hook run by the end-of-turn write pushes to one subscriber: only that one gets it", () => {
    const { io, subs, endTurn } = roomInRun(4);
    // The first one's write finds the socket gone (as Bun reports it), and its close hook sends to the third.
    const first = subs[0]!;
    first.s.write = () => (first.c.onClose(), -1);
    onCloseHook = (c) => {
      if (c === first.c) subs[2]!.c.send("bye;");
    };
    try {
      endTurn();
    } finally {
      onCloseHook = null;
    }
    expect(wsGot(subs[2]!.s)).toEqual([...range(0, 6), "bye;"]);
    for (const k of [1, 3]) expect(wsGot(subs[k]!.s)).toEqual(range(0, 6));
  });

  test("a subscriber's pending bytes count the whole run while it lasts", () => {
    const { io, ws, endTurn } = context();
    const subs = Array.from({ length: 3 }, () => ws());
    for (const { c } of subs) io.pubsub.subscribe(c, "room");
    for (let i = 10; i < 20; i++) io.pubsub.publish("room", msg(i));
    // 10 frames of 2 + 4 bytes each.
    for (const { c } of subs) expect(c.pendingBytes).toBe(60);
    endTurn();
    for (const { c } of subs) expect(c.pendingBytes).toBe(0);
  });

  test("a subscriber that compresses its pushes is never in a run, and a long message reaches it compressed", () => {
    const { io, ws, wsDeflate, endTurn } = context();
    const plain = [ws(), ws()];
    const z = wsDeflate();
    for (const { c } of [...plain, z]) io.pubsub.subscribe(c, "room");
    const ext = io.batch.runExtensions;
    const long = new TextEncoder().encode("x".repeat(300));
    for (let i = 0; i < 7; i++) io.pubsub.publish("room", msg(i));
    io.pubsub.publish("room", long);
    expect(io.batch.runExtensions).toBe(ext);
    endTurn();
    for (const { s } of plain) expect(wsGot(s)).toEqual([...range(0, 7), "x".repeat(300)]);
    // Its last frame has RSV1 set (compressed) and is shorter than the message.
    const heads = z.s.writes.flatMap((w) => frames(w));
    expect(heads.length).toBe(8);
    expect(heads[7]!.rsv1).toBe(true);
    expect(heads[7]!.payload.length).toBeLessThan(300);
  });
});
