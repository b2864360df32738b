// The WebSocket transport through a real listener (in process): the handshake and its refusals (RFC 6455 §4), the
// protocol rules of §5–§7 as the server applies them on the wire (close codes sent back, TCP closed), the module
// contract (messages as packets, replies of the same type, check, hooks), timeouts, backpressure and interop with
// Bun's own WebSocket client.
import { afterEach, describe, expect, test } from "bun:test";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { openRaw, KEY } from "../helpers/ws-client.ts";
import { clientFrame, closeBody, closeCodeOf } from "../helpers/ws-frames.ts";
import { acceptKey } from "../../src/ws/ws-handshake.ts";
import type { ModuleDefinition } from "../../src/module/types.ts";
import { withTimeout } from "../helpers/tcp-client.ts";

const dec = new TextDecoder();
let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

const echo: ModuleDefinition<unknown> = { name: "wsecho", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p };

function start(def: ModuleDefinition<unknown> = echo, ws: Record<string, number> = {}, io: Record<string, number> = {}): InProcessServer {
  server = startInProcess(def, io, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0, ...ws } });
  return server;
}

describe("handshake (§4)", () => {
  test("101 with Sec-WebSocket-Accept computed from the key, then messages are echoed with their own type", async () => {
    const s = start();
    const w = await openRaw(s.port);
    expect(w.status).toBe(101);
    expect(w.head).toContain(`Sec-WebSocket-Accept: ${acceptKey(KEY)}`);
    expect(w.head.toLowerCase()).toContain("upgrade: websocket");
    w.c.write(clientFrame(1, "hello"));
    w.c.write(clientFrame(2, new Uint8Array([1, 2, 3])));
    const f = await w.frames(2);
    expect(f.map((x) => [x.opcode, [...x.payload]])).toEqual([[1, [...new TextEncoder().encode("hello")]], [2, [1, 2, 3]]]);
    w.c.end();
  });

  test("frames sent in the same packet as the handshake are answered", async () => {
    const s = start();
    const { connect } = await import("../helpers/tcp-client.ts");
    const { handshake } = await import("../helpers/ws-client.ts");
    const c = await connect(s.port);
    const hs = new TextEncoder().encode(handshake());
    const f = clientFrame(1, "early");
    const both = new Uint8Array(hs.length + f.length);
    both.set(hs);
    both.set(f, hs.length);
    c.write(both);
    const deadline = performance.now() + 3000;
    while (!dec.decode(c.received()).includes("early") && performance.now() < deadline) await Bun.sleep(5);
    expect(dec.decode(c.received())).toContain("early");
    c.end();
  });

  test("refusals: version 8 → 426 with Sec-WebSocket-Version: 13; bad key → 400; other path → 404; plain GET → 426; each closes", async () => {
    const s = start();
    const v8 = await openRaw(s.port, "/ws", { "Sec-WebSocket-Version": "8" });
    expect(v8.status).toBe(426);
    expect(v8.head).toContain("Sec-WebSocket-Version: 13");
    await withTimeout(v8.c.closed, 3000, "close after 426");
    const badKey = await openRaw(s.port, "/ws", { "Sec-WebSocket-Key": "short" });
    expect(badKey.status).toBe(400);
    await withTimeout(badKey.c.closed, 3000, "close after 400");
    expect((await openRaw(s.port, "/elsewhere")).status).toBe(404);
    expect((await openRaw(s.port, "/ws", { Upgrade: "", Connection: "" })).status).toBe(426);
  });

  test("websocket.upgrade: refuse with a status, attach state, pick a subprotocol; sees Origin; open and close hooks get code and reason", async () => {
    const events: string[] = [];
    const def: ModuleDefinition<unknown> = {
      ...echo,
      proc: (_p, conn) => `state=${String(conn.state)} protocol=${conn.protocol}`,
      websocket: {
        protocols: ["chat.v2", "chat.v1"],
        upgrade: (req, offer) => {
          if (req.query.get("token") !== "ok") return 401;
          return { state: `origin ${offer.origin}` };
        },
        open: (conn) => void events.push(`open ${String(conn.state)}`),
        close: (_conn, code, reason) => void events.push(`close ${code} ${reason}`),
      },
    };
    const s = start(def);
    expect((await openRaw(s.port, "/ws?token=no")).status).toBe(401);
    const w = await openRaw(s.port, "/ws?token=ok", { Origin: "https://example.org", "Sec-WebSocket-Protocol": "chat.v1, chat.v2" });
    expect(w.status).toBe(101);
    expect(w.head).toContain("Sec-WebSocket-Protocol: chat.v2");
    w.c.write(clientFrame(1, "?"));
    expect(dec.decode((await w.frames(1))[0]!.payload)).toBe("state=origin https://example.org protocol=ws");
    w.c.write(clientFrame(8, closeBody(4001, "bye now")));
    await withTimeout(w.c.closed, 3000, "server closes after the close handshake");
    expect(events).toEqual(["open origin https://example.org", "close 4001 bye now"]);
  });
});

describe("protocol rules on the wire (§5–§7)", () => {
  async function closeAfter(frames: Uint8Array[], ws: Record<string, number> = {}): Promise<number> {
    const s = start(echo, ws);
    const w = await openRaw(s.port);
    for (const f of frames) w.c.write(f);
    await withTimeout(w.c.closed, 3000, "the server closes the TCP connection");
    const got = await w.frames(1, 100);
    const close = got.find((f) => f.opcode === 8);
    return close === undefined ? -1 : closeCodeOf(close);
  }

  test("unmasked frame → close 1002", async () => expect(await closeAfter([clientFrame(1, "x", { mask: false })])).toBe(1002));
  test("reserved bit without extension → 1002", async () => expect(await closeAfter([clientFrame(1, "x", { rsv: 4 })])).toBe(1002));
  test("unknown opcode → 1002", async () => expect(await closeAfter([clientFrame(5, "x")])).toBe(1002));
  test("ping over 125 bytes → 1002", async () => expect(await closeAfter([clientFrame(9, "p".repeat(126))])).toBe(1002));
  test("invalid UTF-8 text → 1007", async () => expect(await closeAfter([clientFrame(1, new Uint8Array([0xc0, 0xaf]))])).toBe(1007));
  test("message over ws.max_message_bytes → 1009", async () => {
    expect(await closeAfter([clientFrame(2, new Uint8Array(200))], { max_message_bytes: 150 })).toBe(1009);
  });
  test("invalid close code → 1002", async () => expect(await closeAfter([clientFrame(8, closeBody(1005))])).toBe(1002));

  test("ping → pong with the same payload, also in the middle of a fragmented message", async () => {
    const s = start();
    const w = await openRaw(s.port);
    w.c.write(clientFrame(1, "frag-", { fin: false }));
    w.c.write(clientFrame(9, "are you there"));
    w.c.write(clientFrame(0, "ment"));
    const f = await w.frames(2);
    expect(f[0]!.opcode).toBe(10);
    expect(dec.decode(f[0]!.payload)).toBe("are you there");
    expect([f[1]!.opcode, dec.decode(f[1]!.payload)]).toEqual([1, "frag-ment"]);
    w.c.end();
  });

  test("close handshake: code and reason echoed, then the server closes TCP", async () => {
    const s = start();
    const w = await openRaw(s.port);
    w.c.write(clientFrame(8, closeBody(1000, "done")));
    await withTimeout(w.c.closed, 3000, "close");
    const f = (await w.frames(1)).find((x) => x.opcode === 8)!;
    expect(closeCodeOf(f)).toBe(1000);
    expect(dec.decode(f.payload.subarray(2))).toBe("done");
  });

  test("a frame split at every offset of its header and key, one write per byte, is answered once", async () => {
    const s = start();
    const w = await openRaw(s.port);
    const f = clientFrame(2, new Uint8Array(300).fill(9)); // 16-bit length: 4-byte header + 4-byte key
    for (let i = 0; i < 12; i++) {
      w.c.write(f.subarray(i, i + 1));
      await Bun.sleep(3);
    }
    w.c.write(f.subarray(12));
    const got = await w.frames(1);
    expect(got[0]!.payload.length).toBe(300);
    w.c.end();
  });

  test("frames split at every offset of the first's header, key and payload start come back byte for byte (the kept input is unmasked a word at a time too)", async () => {
    const s = start();
    const w = await openRaw(s.port);
    const a = new Uint8Array(300).map((_, i) => (i * 7 + 3) & 0xff);
    const b = new Uint8Array(17).map((_, i) => (i * 13 + 1) & 0xff);
    const f = Buffer.concat([clientFrame(2, a, { key: [1, 0x80, 0xfe, 0x33] }), clientFrame(2, b)]);
    let seen = 0;
    for (let cut = 1; cut <= 24; cut++) {
      w.c.write(f.subarray(0, cut));
      await Bun.sleep(2);
      w.c.write(f.subarray(cut));
      const got = await w.frames(seen + 2);
      expect([...got[seen]!.payload]).toEqual([...a]);
      expect([...got[seen + 1]!.payload]).toEqual([...b]);
      seen += 2;
    }
    w.c.end();
  });

  test("the replies of one read leave in one write; echoes are framed in the input buffer (no copy), other replies too", async () => {
    const s = start({ ...echo, proc: (p) => (dec.decode(p) === "other" ? "OTHER!" : p) });
    const w = await openRaw(s.port);
    w.c.write(clientFrame(1, "first"));
    await w.frames(1);
    const conn = [...s.io.conns][0] as unknown as { socket: { write: (b: Uint8Array, o?: number, n?: number) => number }; endEvent(): void };
    const writes: Array<{ fromInput: boolean }> = [];
    const write = conn.socket.write.bind(conn.socket);
    conn.socket.write = (b, o, n) => (writes.push({ fromInput: b === s.io.inBuf }), write(b, o, n));
    let events = 0;
    const endEvent = conn.endEvent.bind(conn);
    conn.endEvent = () => (events++, endEvent());
    // Echoes of the three length forms' smaller two, a ping, UTF-8 text: one range of the input buffer, one write.
    const bin = new Uint8Array(300).map((_, i) => i & 0xff);
    w.c.write(Buffer.concat([clientFrame(1, "a"), clientFrame(2, bin), clientFrame(9, "ping?"), clientFrame(1, "é ünïcode")]));
    const f = await w.frames(5);
    expect(f.slice(1).map((x) => [x.opcode, x.opcode === 2 ? [...x.payload] : dec.decode(x.payload)])).toEqual([[1, "a"], [2, [...bin]], [10, "ping?"], [1, "é ünïcode"]]);
    expect(events).toBe(1);
    expect(writes).toEqual([{ fromInput: true }]);
    // A reply that is not the packet, between echoes: still one write per read (copied into the cork).
    writes.length = 0;
    events = 0;
    w.c.write(Buffer.concat([clientFrame(1, "b"), clientFrame(1, "other"), clientFrame(2, new Uint8Array([7]))]));
    const g = await w.frames(8);
    expect(g.slice(5).map((x) => [x.opcode, dec.decode(x.payload)])).toEqual([[1, "b"], [1, "OTHER!"], [2, "\x07"]]);
    expect(events).toBe(1);
    expect(writes).toEqual([{ fromInput: false }]);
    w.c.end();
  });

  test("conn.close() sends 1000 and, with no close from the client, cuts after ws.close_timeout_ms", async () => {
    const s = start({ ...echo, proc: (_p, conn) => void conn.close() }, { close_timeout_ms: 200 });
    const w = await openRaw(s.port);
    w.c.write(clientFrame(1, "close please"));
    const f = await w.frames(1);
    expect([f[0]!.opcode, closeCodeOf(f[0]!)]).toEqual([8, 1000]);
    expect(w.c.isClosed()).toBe(false); // it waits for the client's close frame
    await withTimeout(w.c.closed, 3000, "cut after the close timeout");
  });

  test("idle: automatic pings after ws.ping_interval_ms; unanswered, closed with 1001 after ws.idle_timeout_ms", async () => {
    const s = start(echo, { ping_interval_ms: 100, idle_timeout_ms: 400, close_timeout_ms: 100 });
    const w = await openRaw(s.port);
    const f = await w.frames(1, 3000);
    expect(f[0]!.opcode).toBe(9);
    await withTimeout(w.c.closed, 4000, "idle close");
    const close = (await w.frames(2, 100)).find((x) => x.opcode === 8);
    expect(close === undefined ? -1 : closeCodeOf(close)).toBe(1001);
  });
});

describe("module contract", () => {
  test("check cuts one message into packets; each reply is a message; the end of the message ends its last packet", async () => {
    const def: ModuleDefinition<unknown> = {
      ...echo,
      check: (buf, start, end) => {
        const i = buf.indexOf(10, start);
        return i >= 0 && i < end ? i - start + 1 : 0;
      },
      proc: (p) => `<${dec.decode(p).trim()}>`,
    };
    const s = start(def);
    const w = await openRaw(s.port);
    w.c.write(clientFrame(1, "a\nb\nc"));
    expect((await w.frames(3)).map((f) => dec.decode(f.payload))).toEqual(["<a>", "<b>", "<c>"]);
    w.c.end();
  });

  test("async replies keep message order; conn.send pushes a message; subscribe/publish reach WebSocket subscribers", async () => {
    const def: ModuleDefinition<unknown> = {
      ...echo,
      proc: async (p, conn) => {
        const t = dec.decode(p);
        if (t === "sub") return conn.subscribe("room") ? "subscribed" : "no";
        if (t === "pub") return `delivered ${conn.publish("room", "news", { exceptSelf: true })}`;
        if (t === "push") {
          conn.send("pushed");
          return "after push";
        }
        await Bun.sleep(Number(t));
        return t;
      },
    };
    const s = start(def);
    const a = await openRaw(s.port);
    for (const t of ["30", "1", "push"]) a.c.write(clientFrame(1, t));
    expect((await a.frames(4)).map((f) => dec.decode(f.payload))).toEqual(["30", "1", "pushed", "after push"]);
    a.c.write(clientFrame(1, "sub"));
    await a.frames(5);
    const b = await openRaw(s.port);
    b.c.write(clientFrame(1, "pub"));
    expect(dec.decode((await b.frames(1))[0]!.payload)).toBe("delivered 1");
    const got = await a.frames(6);
    expect([got[5]!.opcode, dec.decode(got[5]!.payload)]).toEqual([1, "news"]);
    a.c.end();
    b.c.end();
  });

  test("backpressure: a client that does not read stops being read; output stays bounded by io.high_water", async () => {
    const big = new Uint8Array(64 * 1024);
    const s = start({ ...echo, proc: () => big }, {}, { high_water: 128 * 1024 });
    const w = await openRaw(s.port);
    w.c.pause();
    for (let i = 0; i < 200; i++) w.c.write(clientFrame(1, "more"));
    await Bun.sleep(300);
    const conn = [...s.io.conns][0] as unknown as { queuedBytes: number };
    // Past high water it stops answering; what is queued is at most high water plus the replies of one read.
    expect(conn.queuedBytes).toBeLessThan(200 * big.length);
    expect(conn.queuedBytes).toBeLessThanOrEqual(128 * 1024 + 64 * 1024 * 4);
    w.c.resume();
    await w.frames(200, 10000);
    w.c.end();
  });
});

describe("interop: Bun's WebSocket client", () => {
  test("text and binary echo, close with code and reason", async () => {
    const s = start();
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws`);
    ws.binaryType = "arraybuffer";
    const got: unknown[] = [];
    const done = Promise.withResolvers<{ code: number; reason: string }>();
    ws.onopen = () => {
      ws.send("héllo wörld");
      ws.send(new Uint8Array([0, 255, 7]));
      ws.send("x".repeat(70_000));
    };
    ws.onmessage = (e) => {
      got.push(typeof e.data === "string" ? (e.data.length > 100 ? e.data.length : e.data) : [...new Uint8Array(e.data as ArrayBuffer)]);
      if (got.length === 3) ws.close(4000, "thanks");
    };
    ws.onclose = (e) => done.resolve({ code: e.code, reason: e.reason });
    const c = await withTimeout(done.promise, 5000, "close");
    expect(got).toEqual(["héllo wörld", [0, 255, 7], 70_000]);
    expect(c).toEqual({ code: 4000, reason: "thanks" });
  });
});

describe("?ws=/path on an HTTP entry", () => {
  test("upgrades at that path; every other request goes to the http hook; a listener without ?ws= does not upgrade", async () => {
    const def: ModuleDefinition<unknown> = { ...echo, http: (req) => `http ${req.path}` };
    server = startInProcess(def, {}, { protocol: "http", query: "?ws=/live", ws: { ping_interval_ms: 0 } });
    const page = await fetch(`http://127.0.0.1:${server.port}/index`);
    expect(await page.text()).toBe("http /index");
    const w = await openRaw(server.port, "/live");
    expect(w.status).toBe(101);
    w.c.write(clientFrame(1, "over the upgrade"));
    expect(dec.decode((await w.frames(1))[0]!.payload)).toBe("over the upgrade");
    w.c.end();
    // The same upgrade request at another path is a plain request for the http hook.
    const plain = await openRaw(server.port, "/other");
    expect(plain.status).toBe(200);
    server.stop();
    server = startInProcess(def, {}, { protocol: "http" });
    expect((await openRaw(server.port, "/live")).status).toBe(200);
  });
});
