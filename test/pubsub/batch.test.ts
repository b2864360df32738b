// Pushes and topic deliveries are batched per connection and written once per event-loop turn (io/push-batch.ts):
// a burst of publishes reaches every subscriber whole and in order in one write per subscriber; a connection's
// stream is the order in which the server made its output even when batched pushes and its own replies meet in
// one turn; a slow subscriber among fast ones is still dropped as a slow consumer while the others get everything;
// WebSocket subscribers get one frame per message. The batch itself: ranges gathered in order, a message copied
// once per delivery loop and never reused outside one, its bounds.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule, type Conn } from "../../src/index.ts";
import { connect, type TestClient } from "../helpers/tcp-client.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { lineCheck } from "../helpers/line-check.ts";
import { S_PS_DELIVERIES, S_PS_DROP_SLOW, S_SOCKET_WRITES } from "../../src/stats/stat-fields.ts";
import { CONN_MAX, MAX_RANGES, PushBatch, type Batched } from "../../src/io/push-batch.ts";
import { until } from "../helpers/until.ts";

let server: InProcessServer | undefined;
let clients: TestClient[] = [];
afterEach(() => {
  for (const c of clients) c.end();
  clients = [];
  server?.stop();
  server = undefined;
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const mod = (def: Partial<Parameters<typeof defineModule>[0]>) =>
  defineModule({ name: "batch", version: "1.0.0", grocketd: "^0.1.0", check: lineCheck, ...def } as Parameters<typeof defineModule>[0]);

/** Lines "m<k>\n" for k in [from, to). */
const lines = (from: number, to: number, pad = 4) => Array.from({ length: to - from }, (_, i) => `m${String(from + i).padStart(pad, "0")}\n`).join("");

/** Counts the socket writes of every open connection of the server (each connection's own count). */
/** An accept hook that keeps each connection in `conns` and subscribes it to "all". */
function subscribeAll(conns: Conn[]) {
  return (conn: Conn) => {
    conns.push(conn);
    conn.subscribe("all");
    return undefined;
  };
}

/** SUB subscribes the connection to "all"; BURST publishes `n` numbered lines to the others, each given as `as` makes it. */
function burstModule(n: number, as: (line: string) => string | Uint8Array) {
  return mod({
    proc(p: Uint8Array, conn: Conn) {
      const cmd = text(p).trim();
      if (cmd === "SUB") return conn.subscribe("all") ? "ok\n" : "no\n";
      if (cmd === "BURST") for (let i = 0; i < n; i++) conn.publish("all", as(`m${String(i).padStart(4, "0")}\n`), { exceptSelf: true });
      return null;
    },
  });
}

function countWrites(s: InProcessServer): Map<number, number> {
  const n = new Map<number, number>();
  for (const c of s.io.conns as Iterable<unknown>) {
    const conn = c as { id: number; socket: { write: (...a: unknown[]) => number } };
    const write = conn.socket.write.bind(conn.socket);
    n.set(conn.id, 0);
    conn.socket.write = (...a: unknown[]) => (n.set(conn.id, n.get(conn.id)! + 1), write(...a));
  }
  return n;
}

describe("topic fan-out, batched per subscriber", () => {
  test("a burst of 1000 publishes from one proc reaches 50 subscribers whole and in order, in one write each", async () => {
    server = startInProcess(
      burstModule(1000, (m) => m),
    );
    const subs: TestClient[] = [];
    for (let i = 0; i < 50; i++) {
      const c = await connect(server.port);
      clients.push(c);
      subs.push(c);
      c.write("SUB\n");
    }
    for (const c of subs) expect(text(await c.waitBytes(3))).toBe("ok\n");
    const pub = await connect(server.port);
    clients.push(pub);
    await until(() => server!.io.conns.size === 51, "the publisher's accept");
    const writes = countWrites(server);
    const before = server.io.stats[S_SOCKET_WRITES]!;
    pub.write("BURST\n");
    const want = "ok\n" + lines(0, 1000);
    for (const c of subs) expect(text(await c.waitBytes(want.length))).toBe(want);
    await Bun.sleep(20);
    for (const c of subs) expect(c.received().length).toBe(want.length); // nothing twice
    expect(server.io.stats[S_PS_DELIVERIES]).toBe(50_000);
    // 50,000 deliveries of 6 bytes: one write per subscriber (one sendto per delivery before the batch).
    const perConn = [...writes.values()];
    expect(perConn.filter((n) => n === 1).length).toBe(50);
    expect(perConn.reduce((a, b) => a + b, 0)).toBe(50);
    expect(server.io.stats[S_SOCKET_WRITES]! - before).toBe(50);
  });

  test("bursts from a timer: every subscriber gets all of them in order, one write per subscriber per burst", async () => {
    const conns: Conn[] = [];
    server = startInProcess(
      mod({
        accept: subscribeAll(conns),
        proc: () => null,
      }),
    );
    const subs: TestClient[] = [];
    for (let i = 0; i < 20; i++) subs.push(await connect(server.port));
    clients.push(...subs);
    await until(() => conns.length === 20, "accepts");
    const writes = countWrites(server);
    for (let burst = 0; burst < 5; burst++) {
      await new Promise<void>((r) =>
        setTimeout(() => {
          for (let i = 0; i < 200; i++) conns[0]!.publish("all", `m${String(burst * 200 + i).padStart(4, "0")}\n`);
          r();
        }, 1),
      );
      const want = lines(0, (burst + 1) * 200);
      for (const c of subs) expect(text(await c.waitBytes(want.length))).toBe(want);
    }
    for (const n of writes.values()) expect(n).toBe(5);
  });

  test("a connection receives its output in the order the server made it: batched publishes, its replies and pushes", async () => {
    // What the server made for each subscriber, in order: the test compares it with what the client got. Publishes
    // from one connection and a subscriber's own replies meet in one turn when both clients write before the
    // server's loop runs (both sockets readable in one poll): the batched publishes must leave before the reply.
    const made = new Map<number, string[]>();
    const log = (id: number, s: string) => {
      let l = made.get(id);
      if (l === undefined) made.set(id, (l = []));
      l.push(s);
    };
    const subscribers = new Set<Conn>();
    server = startInProcess(
      mod({
        proc(p: Uint8Array, conn: Conn) {
          const [cmd, arg = ""] = text(p).trim().split(" ");
          if (cmd === "SUB") {
            conn.subscribe("room");
            subscribers.add(conn);
            log(conn.id, "ok\n");
            return "ok\n";
          }
          if (cmd === "PUB") {
            for (const s of subscribers) log(s.id, `pub ${arg}\n`);
            conn.publish("room", `pub ${arg}\n`, { exceptSelf: true });
            return null;
          }
          if (cmd === "PING") {
            // A push of its own during proc, then the reply: both after what was batched for it before this event.
            log(conn.id, `push ${arg}\n`);
            log(conn.id, `pong ${arg}\n`);
            conn.send(`push ${arg}\n`);
            return `pong ${arg}\n`;
          }
          return null;
        },
      }),
    );
    const a = await connect(server.port);
    const b = await connect(server.port);
    const pub = await connect(server.port);
    clients.push(a, b, pub);
    a.write("SUB\n");
    b.write("SUB\n");
    await a.waitBytes(3);
    await b.waitBytes(3);
    const ids = [...subscribers].map((c) => c.id);
    for (let i = 0; i < 200; i++) {
      // The publisher first, then a subscriber: read in one turn, most of the time.
      pub.write(`PUB ${i}\n`);
      a.write(`PING ${i}\n`);
      if (i % 3 === 0) b.write(`PING ${i}\n`);
      if (i % 10 === 9) await Bun.sleep(1);
    }
    await until(() => (made.get(ids[0]!)?.length ?? 0) === 1 + 200 * 3, "the server to answer everything");
    const sa = made.get(ids[0]!)!.join("");
    const sb = made.get(ids[1]!)!.join("");
    expect(text(await a.waitBytes(sa.length))).toBe(sa);
    expect(text(await b.waitBytes(sb.length))).toBe(sb);
  });

  test("a push made while a reply is owed still leaves after it when publishes are batched", async () => {
    let release: ((v: string) => void) | undefined;
    server = startInProcess(
      mod({
        proc(p: Uint8Array, conn: Conn) {
          const cmd = text(p).trim();
          if (cmd === "SUB") return conn.subscribe("room") ? "ok\n" : "no\n";
          if (cmd === "WAIT") return new Promise<string>((r) => (release = r));
          if (cmd === "GO") {
            // Published while the subscriber's reply is owed, then it settles, then more publishes.
            conn.publish("room", "pub 1\n", { exceptSelf: true });
            release!("reply\n");
            conn.publish("room", "pub 2\n", { exceptSelf: true });
            setTimeout(() => conn.publish("room", "pub 3\n", { exceptSelf: true }), 1);
          }
          return null;
        },
      }),
    );
    const s = await connect(server.port);
    const p = await connect(server.port);
    clients.push(s, p);
    s.write("SUB\n");
    await s.waitBytes(3);
    s.write("WAIT\n");
    await until(() => release !== undefined, "the pending proc");
    p.write("GO\n");
    const want = "ok\nreply\npub 1\npub 2\npub 3\n";
    expect(text(await s.waitBytes(want.length))).toBe(want);
  });

  test("a slow subscriber among fast ones is dropped as a slow consumer; the fast ones get every message", async () => {
    const conns: Conn[] = [];
    const closeReasons: string[] = [];
    server = startInProcess(
      mod({
        accept: subscribeAll(conns),
        close(conn: Conn) {
          closeReasons.push((conn as unknown as { closeReason: string }).closeReason);
        },
        proc: () => null,
      }),
      { high_water: 64 * 1024, max_buffered: 1024 * 1024 },
    );
    const slow = await connect(server.port);
    slow.pause(); // never reads: the kernel buffers fill, then the server's queue
    const fast: TestClient[] = [];
    for (let i = 0; i < 10; i++) fast.push(await connect(server.port));
    clients.push(slow, ...fast);
    await until(() => conns.length === 11, "accepts");
    const publisher = conns[1]!;
    const body = "x".repeat(1000);
    let sent = 0;
    // Bursts of 256 messages of 1 KiB from a timer (well below io.max_buffered); the fast clients catch up between.
    for (let round = 0; round < 2000 && !slow.isClosed(); round++) {
      await new Promise<void>((r) =>
        setTimeout(() => {
          for (let i = 0; i < 256; i++) publisher.publish("all", `m${String(sent++).padStart(7, "0")}${body}\n`);
          r();
        }, 0),
      );
      for (const c of fast) await c.waitBytes(sent * 1009, 10_000);
    }
    await slow.closed;
    expect(server.io.stats[S_PS_DROP_SLOW]).toBe(1);
    expect(closeReasons).toEqual(["slow_consumer"]);
    expect(server.logs.filter((l) => l.includes("slow consumer: output waiting past io.max_buffered")).length).toBe(1);
    for (const c of fast) {
      const got = text(await c.waitBytes(sent * 1009, 10_000));
      expect(got.length).toBe(sent * 1009);
      for (let k = 0; k < sent; k += 97) expect(got.slice(k * 1009, k * 1009 + 8)).toBe(`m${String(k).padStart(7, "0")}`);
      expect(c.isClosed()).toBe(false);
    }
  });
});

describe("WebSocket subscribers", () => {
  test("a burst of 500 publishes reaches 20 WebSocket subscribers as 500 text messages each, in order, one write each", async () => {
    server = startInProcess(
      burstModule(500, (m) => new TextEncoder().encode(m)),
      {},
      { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0 } },
    );
    const url = `ws://127.0.0.1:${server.port}/ws`;
    const got: string[][] = [];
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const msgs: string[] = [];
        got.push(msgs);
        const ws = new WebSocket(url);
        sockets.push(ws);
        ws.onmessage = (ev) => void msgs.push(typeof ev.data === "string" ? ev.data : text(new Uint8Array(ev.data as ArrayBuffer)));
        await new Promise<void>((res, rej) => ((ws.onopen = () => res()), (ws.onerror = () => rej(new Error("ws did not open")))));
        ws.send("SUB\n");
      }
      await until(() => got.every((m) => m.length === 1), "subscriptions");
      const pub = new WebSocket(url);
      sockets.push(pub);
      await new Promise<void>((res) => (pub.onopen = () => res()));
      await until(() => server!.io.conns.size === 21, "the publisher's upgrade");
      const writes = countWrites(server);
      pub.send("BURST\n");
      await until(() => got.every((m) => m.length === 501), "every message");
      const want = ["ok\n", ...Array.from({ length: 500 }, (_, i) => `m${String(i).padStart(4, "0")}\n`)];
      for (const m of got) expect(m).toEqual(want);
      // The subscribers' writes (the publisher's socket wrote nothing).
      expect([...writes.values()].reduce((a, b) => a + b, 0)).toBe(20);
    } finally {
      for (const ws of sockets) ws.close();
    }
  });
});

/** A connection as the batch sees it: what it wrote, one entry per write. */
class Sink implements Batched {
  batchTail = -1;
  batchBytes = 0;
  readonly writes: string[] = [];
  readonly batchLimit: number = 1 << 20;
  writeBatched(buf: Uint8Array, off: number, len: number): void {
    this.writes.push(text(buf.subarray(off, off + len)));
  }
  runFrame(): number {
    return 0;
  }
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe("PushBatch", () => {
  test("interleaved deliveries to two connections: each gets its own, in order, in one write at the end of the turn", async () => {
    const b = new PushBatch();
    const x = new Sink();
    const y = new Sink();
    const enc = new TextEncoder();
    for (let i = 0; i < 10; i++) {
      const m = enc.encode(`${i};`);
      b.fanout(true);
      b.add(x, m, 1 << 20);
      if (i % 2 === 0) b.add(y, m, 1 << 20);
      b.fanout(false);
      b.add(x, `x${i};`, 1 << 20); // a push of its own between publishes: a second range for x
    }
    expect(x.writes).toEqual([]);
    await nextTurn();
    expect(x.writes).toEqual(["0;x0;1;x1;2;x2;3;x3;4;x4;5;x5;6;x6;7;x7;8;x8;9;x9;"]);
    expect(y.writes).toEqual(["0;2;4;6;8;"]);
    expect(b.size).toBe(0);
  });

  test("a message object is copied once per delivery loop, and never reused outside one (the caller may refill it)", async () => {
    const b = new PushBatch();
    const x = new Sink();
    const y = new Sink();
    const buf = new TextEncoder().encode("aaaa");
    b.fanout(true);
    b.add(x, buf, 1 << 20);
    b.add(y, buf, 1 << 20);
    b.fanout(false);
    expect(b.size).toBe(4); // one copy for both
    buf.fill(98); // "bbbb": the same object, new bytes
    b.add(x, buf, 1 << 20);
    buf.fill(99);
    b.add(x, buf, 1 << 20);
    b.fanout(true);
    b.add(y, buf, 1 << 20); // a new delivery loop: copied again, not taken for an earlier one
    b.fanout(false);
    await nextTurn();
    expect(x.writes).toEqual(["aaaabbbbcccc"]);
    expect(y.writes).toEqual(["aaaacccc"]);
  });

  test("a framed message is the key of its delivery loop (addSameFramed), an empty one never is", async () => {
    const b = new PushBatch();
    const x = new Sink();
    const y = new Sink();
    const h = new TextEncoder().encode("<2"); // a stand-in header: the batch copies it, whatever it is
    const msg = new TextEncoder().encode("hi");
    const empty = new Uint8Array(0);
    b.fanout(true);
    expect(b.addSameFramed(x, msg, 1, 1 << 20)).toBe(false); // nothing framed yet
    expect(b.addFramed(x, msg, 1, h, 2, 1 << 20)).toBe(true);
    expect(b.addSameFramed(y, msg, 1, 1 << 20)).toBe(true);
    expect(b.addSameFramed(y, msg, 2, 1 << 20)).toBe(false); // another opcode is another frame
    expect(b.addFramed(x, empty, 1, new TextEncoder().encode("<0"), 2, 1 << 20)).toBe(true);
    expect(b.addSameFramed(y, empty, 1, 1 << 20)).toBe(false);
    expect(b.addSameFramed(y, msg, 1, 1 << 20)).toBe(false); // the last frame is the empty one's: no key left
    b.fanout(false);
    await nextTurn();
    expect(x.writes).toEqual(["<2hi<0"]);
    expect(y.writes).toEqual(["<2hi"]);
  });

  test("bounds: a share is written early at its limit, a message at the limit is refused (the caller writes it)", () => {
    const b = new PushBatch();
    const x = new Sink();
    expect(b.add(x, "x".repeat(100), 1000)).toBe(true);
    expect(b.add(x, "y".repeat(1000), 1000)).toBe(false);
    for (let i = 0; i < 9; i++) b.add(x, "z".repeat(100), 1000);
    expect(x.writes.length).toBe(1); // 1000 bytes reached: written now, not at the end of the turn
    expect(x.writes[0]!.length).toBe(1000);
    expect(x.batchBytes).toBe(0);
    expect(b.add(x, new Uint8Array(CONN_MAX), 1 << 30)).toBe(false);
  });

  test("interleaved topics: one shared message costs a range per subscriber, and the ranges are bounded too", async () => {
    const b = new PushBatch();
    const sinks = Array.from({ length: 2000 }, () => new Sink());
    const enc = new TextEncoder();
    let most = 0;
    // Message m goes to every other subscriber: no subscriber's messages are adjacent in the batch, so each delivery
    // is a range of its own (100,000 in all) while the bytes stay tiny (one copy per message).
    for (let m = 0; m < 100; m++) {
      const msg = enc.encode(`${m};`);
      b.fanout(true);
      for (let i = 0; i < sinks.length; i++) if ((m + i) % 2 === 0) b.add(sinks[i]!, msg, 1 << 20);
      b.fanout(false);
      most = Math.max(most, b.rangeCount);
    }
    expect(most).toBeLessThanOrEqual(MAX_RANGES);
    expect(b.earlyWrites).toBeGreaterThan(0);
    await nextTurn();
    for (let i = 0; i < sinks.length; i++) {
      const want = Array.from({ length: 50 }, (_, k) => `${2 * k + (i % 2)};`).join("");
      expect(sinks[i]!.writes.join("")).toBe(want);
      expect(sinks[i]!.writes.length).toBeLessThanOrEqual(2);
    }
  });

  test("a turn's batch does not grow past its bound: it is written out whole first", () => {
    const b = new PushBatch();
    const sinks = Array.from({ length: 40 }, () => new Sink());
    // 40 connections, each 40 KiB of distinct messages (outside a delivery loop: all copies): 1.6 MiB in one turn.
    for (let i = 0; i < 40; i++) for (const s of sinks) b.add(s, String.fromCharCode(65 + (i % 26)).repeat(1024), 1 << 20);
    expect(b.size).toBeLessThanOrEqual(1024 * 1024);
    expect(sinks.some((s) => s.writes.length > 0)).toBe(true);
    for (const s of sinks) {
      const all = s.writes.join("");
      expect(s.batchBytes + all.length).toBe(40 * 1024);
    }
  });
});
