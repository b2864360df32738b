// permessage-deflate (RFC 7692, src/ws/ws-deflate.ts; `ws.deflate`, off by default): which offers the handshake
// accepts and what it answers, the frame reader with RSV1 (compressed messages inflated within
// ws.max_message_bytes, RSV1 where it means nothing → 1002, an inflate bomb → 1009), and through a real listener:
// negotiation on and off, a compressed echo, RSV1 without negotiation.
import { afterEach, describe, expect, test } from "bun:test";
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { WsFrameReader, type WsSink } from "../../src/ws/ws-frame-reader.ts";
import { deflateMessage, inflateMessage, negotiateDeflate } from "../../src/ws/ws-deflate.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { openRaw } from "../helpers/ws-client.ts";
import { clientFrame, closeCodeOf } from "../helpers/ws-frames.ts";

const dec = new TextDecoder();
const RSV1 = 4;
/** What a client sends: the message deflated, the 0x00 0x00 0xff 0xff tail removed (§7.2.1). */
const z = (s: string | Uint8Array) => {
  const d = deflateRawSync(typeof s === "string" ? Buffer.from(s) : s, { finishFlush: constants.Z_SYNC_FLUSH });
  return d.subarray(0, d.length - 4);
};
/** What a client does with a compressed message from the server (§7.2.2). */
const unz = (p: Uint8Array) => dec.decode(inflateRawSync(Buffer.concat([p, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH }));

describe("negotiation (§5, §7)", () => {
  test("the first acceptable offer wins; the answer always asks for no context takeover both ways", () => {
    expect(negotiateDeflate(undefined)).toBeNull();
    expect(negotiateDeflate("x-webkit-deflate-frame")).toBeNull();
    expect(negotiateDeflate("permessage-deflate; client_max_window_bits")).toEqual({
      params: { windowBits: 15 }, response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    });
    expect(negotiateDeflate("permessage-deflate; server_max_window_bits=10; client_no_context_takeover")).toEqual({
      params: { windowBits: 10 }, response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10",
    });
    // Declined: an unknown parameter, a value where none belongs, out of range, repeated; 8 bits zlib cannot keep to.
    for (const bad of ["permessage-deflate; foo", "permessage-deflate; server_no_context_takeover=1", "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits", "permessage-deflate; client_max_window_bits=7", "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; server_max_window_bits=8", "permessage-deflate; server_max_window_bits=010"]) {
      expect(negotiateDeflate(bad)).toBeNull();
    }
    // A declined offer falls back to the next one.
    expect(negotiateDeflate('permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits="12"')?.params).toEqual({ windowBits: 12 });
  });

  test("compress and inflate: the sender's tail is removed and put back; inflating is bounded", () => {
    const text = "hello ".repeat(100);
    const d = deflateMessage(text, { windowBits: 9 });
    expect(d.length).toBeLessThan(100);
    expect(unz(d)).toBe(text);
    expect(dec.decode(inflateMessage(d, 600) as Uint8Array)).toBe(text);
    expect(inflateMessage(d, 599)).toBe(1009);
    expect(inflateMessage(new Uint8Array([0xff, 0xff, 0xff]), 100)).toBe(1007);
  });
});

type Ev = [string, ...unknown[]];
function read(bytes: Uint8Array, deflate: boolean, max = 1 << 20): Ev[] {
  const events: Ev[] = [];
  const s: WsSink = {
    message: (b, o, n, bin) => void events.push(["message", bin ? "binary" : "text", dec.decode(b.subarray(o, o + n))]),
    control: (op) => void events.push(["control", op]),
    peerClose: (code) => void events.push(["closed", code]),
    error: (code) => void events.push(["error", code]),
  };
  new WsFrameReader(max, deflate).consume(bytes, 0, bytes.length, s);
  return events;
}
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

describe("frame reader with permessage-deflate (§6, §7.2)", () => {
  test("RSV1 on a message's first frame: inflated, also across fragments; an uncompressed message in between is fine", () => {
    const body = z("compressed héllo");
    const events = read(cat(
      clientFrame(1, body, { rsv: RSV1 }),
      clientFrame(1, "plain"),
      clientFrame(2, body.subarray(0, 3), { rsv: RSV1, fin: false }),
      clientFrame(9, "p"), // a ping in the middle of the compressed fragments
      clientFrame(0, body.subarray(3)),
    ), true);
    expect(events).toEqual([["message", "text", "compressed héllo"], ["message", "text", "plain"], ["control", 9], ["message", "binary", "compressed héllo"]]);
  });

  test("RSV1 without negotiation, on a continuation frame or a control frame, and RSV2/RSV3 → 1002", () => {
    expect(read(clientFrame(1, z("x"), { rsv: RSV1 }), false)).toEqual([["error", 1002]]);
    expect(read(cat(clientFrame(1, z("ab"), { rsv: RSV1, fin: false }), clientFrame(0, "", { rsv: RSV1 })), true)).toEqual([["error", 1002]]);
    expect(read(clientFrame(9, "", { rsv: RSV1 }), true)).toEqual([["error", 1002]]);
    expect(read(clientFrame(1, "x", { rsv: 2 }), true)).toEqual([["error", 1002]]);
    expect(read(clientFrame(1, "x", { rsv: 1 }), true)).toEqual([["error", 1002]]);
  });

  test("a message that inflates past ws.max_message_bytes → 1009 (an inflate bomb); not DEFLATE or not UTF-8 once inflated → 1007", () => {
    const bomb = z(new Uint8Array(1 << 20)); // 1 MiB of zeros in about a kilobyte
    expect(bomb.length).toBeLessThan(2048);
    expect(read(clientFrame(2, bomb, { rsv: RSV1 }), true, 64 * 1024)).toEqual([["error", 1009]]);
    expect(read(clientFrame(2, z(new Uint8Array(64 * 1024)), { rsv: RSV1 }), true, 64 * 1024)[0]![0]).toBe("message"); // exactly the limit
    expect(read(clientFrame(1, new Uint8Array([0xff, 0xfe, 0xfd]), { rsv: RSV1 }), true)).toEqual([["error", 1007]]);
    expect(read(clientFrame(1, z(new Uint8Array([0xc3, 0x28])), { rsv: RSV1 }), true)).toEqual([["error", 1007]]);
  });
});

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});
const OFFER = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };
const start = (deflate: boolean) =>
  (server = startInProcess({ name: "zecho", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p }, {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0, deflate, max_message_bytes: 64 * 1024 } }));

describe("through a listener", () => {
  test("ws.deflate on: negotiated; a compressed message is echoed compressed (RSV1), a short one uncompressed", async () => {
    const w = await openRaw(start(true).port, "/ws", OFFER);
    expect(w.status).toBe(101);
    expect(w.head.split("\r\n")).toContain("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    const long = "grocketd ".repeat(50);
    w.c.write(clientFrame(1, z(long), { rsv: RSV1 }));
    w.c.write(clientFrame(1, "short"));
    const [a, b] = await w.frames(2);
    expect([a!.rsv, a!.opcode, a!.payload.length < long.length, unz(a!.payload)]).toEqual([RSV1, 1, true, long]);
    expect([b!.rsv, dec.decode(b!.payload)]).toEqual([0, "short"]);
    w.c.end();
  });

  test("ws.deflate on: an inflate bomb closes with 1009", async () => {
    const w = await openRaw(start(true).port, "/ws", OFFER);
    w.c.write(clientFrame(2, z(new Uint8Array(1 << 20)), { rsv: RSV1 }));
    const f = await w.frames(1);
    expect([f[0]!.opcode, closeCodeOf(f[0]!)]).toEqual([8, 1009]);
    await w.c.closed;
  });

  test("ws.deflate off (the default), or not offered: no extension in the 101, and RSV1 → 1002", async () => {
    for (const [deflate, extra] of [[false, OFFER], [true, {}]] as const) {
      const w = await openRaw(start(deflate).port, "/ws", extra);
      expect(w.status).toBe(101);
      expect(w.head.toLowerCase()).not.toContain("sec-websocket-extensions");
      w.c.write(clientFrame(1, z("hello"), { rsv: RSV1 }));
      const f = await w.frames(1);
      expect([f[0]!.opcode, closeCodeOf(f[0]!)]).toEqual([8, 1002]);
      await w.c.closed;
      server!.stop();
    }
  });

  test("a publish reaches a compressing and a plain subscriber in one turn: compressed for the one, as it is for the other", async () => {
    const enc = new TextEncoder();
    server = startInProcess(
      {
        name: "zpub", version: "1.0.0", grocketd: "^0.1.0",
        proc: (p, conn) => (dec.decode(p) === "sub" ? String(conn.subscribe("t")) : void conn.publish("t", new Uint8Array(p))),
      },
      {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0, deflate: true } },
    );
    const zc = await openRaw(server.port, "/ws", OFFER);
    const plain = await openRaw(server.port, "/ws");
    for (const w of [zc, plain]) {
      w.c.write(clientFrame(1, "sub"));
      expect(dec.decode((await w.frames(1))[0]!.payload)).toBe("true");
    }
    const msg = "news for every subscriber ".repeat(20);
    plain.c.write(clientFrame(2, enc.encode(msg)));
    const [, z1] = await zc.frames(2);
    const [, p1] = await plain.frames(2);
    expect([z1!.rsv, z1!.opcode, unz(z1!.payload)]).toEqual([RSV1, 1, msg]); // zc's last message was text
    expect([p1!.rsv, p1!.opcode, dec.decode(p1!.payload)]).toEqual([0, 2, msg]);
    zc.c.end();
    plain.c.end();
  });
});
