// Push and topics across the threads of one real process: modules/chat.ts with two I/O threads (clients on both
// threads in one room see each other's messages, in order), ctx.send to a connection of the other thread, an
// unknown id, a burst of publishes reaching subscribers of both threads whole and in order, and pool mode (a
// handler thread pushes to, subscribes and publishes for the connections it serves).
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startGrocketd, ROOT, type Running } from "../helpers/grocketd.ts";
import { connect, untilReceived as line, withTimeout, type TestClient } from "../helpers/tcp-client.ts";
import { makeTestCert } from "../helpers/tls-cert.ts";

const FIX = resolve(import.meta.dir, "../fixtures/modules");
const CHAT = resolve(ROOT, "modules/chat.ts");
const text = (b: Uint8Array) => new TextDecoder().decode(b);
let running: Running | undefined;
let clients: TestClient[] = [];
let wsClients: WebSocket[] = [];
afterEach(async () => {
  for (const c of clients) c.end();
  clients = [];
  for (const w of wsClients) w.close();
  wsClients = [];
  await running?.stop("SIGKILL");
  running = undefined;
});

/** Connects until there is a client on each of I/O threads 0 and 1 (the kernel spreads them by source port). */
async function onBothThreads(port: number, who: string, re: RegExp): Promise<[TestClient, TestClient]> {
  const by = new Map<number, TestClient>();
  for (let i = 0; i < 40 && by.size < 2; i++) {
    const c = await connect(port);
    clients.push(c);
    c.write(who);
    const t = Number((await line(c, re))[1]);
    if (by.has(t)) c.end();
    else by.set(t, c);
  }
  if (by.size < 2) throw new Error("could not get a connection on each thread");
  return [by.get(0)!, by.get(1)!];
}

describe("across I/O threads", () => {
  test("chat: clients on both threads in one room see each other's messages, in the order sent", async () => {
    running = await startGrocketd(["--module", CHAT, "--listen", "tcp://127.0.0.1:0", "--threads", "2"]);
    const [a, b] = await onBothThreads(running.ports[0]!, "WHO\n", /thread (\d) pid/);
    a.write("JOIN lobby\n");
    await line(a, /OK joined lobby\n/);
    b.write("JOIN lobby\n");
    await line(b, /OK joined lobby\n/);
    await line(a, /\* user\d+ joined lobby\n/); // b's join, published on thread 1, reached thread 0
    const n = 50;
    for (let i = 0; i < n; i++) a.write(`SAY a${i}\n`);
    for (let i = 0; i < n; i++) b.write(`SAY b${i}\n`);
    await line(b, new RegExp(`lobby user\\d+: a${n - 1}\\n`));
    await line(a, new RegExp(`lobby user\\d+: b${n - 1}\\n`));
    const order = (c: TestClient, who: string) => [...text(c.received()).matchAll(new RegExp(`: ${who}(\\d+)\\n`, "g"))].map((m) => Number(m[1]));
    expect(order(b, "a")).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(order(a, "b")).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(order(a, "a")).toEqual([]); // exceptSelf
  });

  test("a burst of 1000 publishes from one proc reaches 50 subscribers on both threads whole and in order", async () => {
    // Local subscribers take it from the push batch, those of the other thread from the ring (then that thread's batch).
    running = await startGrocketd(["--module", `${FIX}/fanout-burst.ts`, "--listen", "tcp://127.0.0.1:0", "--threads", "2"]);
    const subs: TestClient[] = [];
    const perThread = [0, 0];
    for (let i = 0; i < 50; i++) {
      const c = await connect(running.ports[0]!);
      clients.push(c);
      subs.push(c);
      c.write("SUB\n");
      perThread[Number((await line(c, /^OK (\d)\n/))[1])]!++;
    }
    expect(perThread[0]).toBeGreaterThan(0);
    expect(perThread[1]).toBeGreaterThan(0);
    const pub = await connect(running.ports[0]!);
    clients.push(pub);
    pub.write("BURST 1000\n");
    const want = Array.from({ length: 1000 }, (_, i) => `m${String(i).padStart(4, "0")}\n`).join("");
    for (const c of subs) {
      const got = text(await c.waitBytes(5 + want.length, 20_000));
      expect(got.slice(5)).toBe(want);
    }
  });

  test("ctx.send reaches a connection of the other thread; an unknown id on this thread is reported", async () => {
    running = await startGrocketd(["--module", `${FIX}/push-probe.ts`, "--listen", "tcp://127.0.0.1:0", "--threads", "2"]);
    const [a, b] = await onBothThreads(running.ports[0]!, "ID\n", /^\d+ (\d)\n/);
    const bId = Number((await line(b, /^(\d+) 1\n/))[1]);
    a.write(`TO ${bId} across threads\n`);
    await line(a, /^\d+ 0\nforwarded\n/);
    await line(b, /across threads\n/);
    // An id that names thread 0 (a's own) but no connection: known at once.
    a.write(`TO ${1_000_000 * 1024} nobody\n`);
    await line(a, /forwarded\nunknown\n/);
  });
});

describe("pool mode", () => {
  test("a handler thread pushes from a timer and after an owed reply, and chat works through it", async () => {
    running = await startGrocketd(["--module", `${FIX}/push-probe.ts`, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" },
    });
    const c = await connect(running.ports[0]!);
    clients.push(c);
    c.write("TICK 3\n");
    await line(c, /^tick 0\ntick 1\ntick 2\n$/);
    c.write("ASYNC x\n");
    await line(c, /tick 2\nreply x\npushed x\n$/);
    const d = await connect(running.ports[0]!);
    clients.push(d);
    d.write("SUB news\n");
    await line(d, /^true\n/);
    c.write("PUB news extra\n");
    await line(d, /true\nextra\n/);
  });

  test("chat in pool mode with two I/O threads", async () => {
    running = await startGrocketd(["--module", CHAT, "--listen", "tcp://127.0.0.1:0", "--threads", "2"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "2" },
    });
    const [a, b] = await onBothThreads(running.ports[0]!, "WHO\n", /thread (\d) pid/);
    a.write("JOIN r\n");
    await line(a, /OK joined r\n/);
    b.write("JOIN r\n");
    await line(b, /OK joined r\n/);
    a.write("SAY hello\n");
    await line(b, /r user\d+: hello\n/);
    b.write("SAY back\n");
    await line(a, /r user\d+: back\n/);
  });
});

/** A WebSocket client that keeps every message it got (text). */
async function wsClient(port: number, path: string): Promise<{ ws: WebSocket; got: string[]; until(re: RegExp): Promise<RegExpMatchArray> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const got: string[] = [];
  ws.onmessage = (e) => void got.push(typeof e.data === "string" ? e.data : `binary:${String(e.data)}`);
  const opened = Promise.withResolvers<void>();
  ws.onopen = () => opened.resolve();
  ws.onerror = () => opened.reject(new Error("ws error"));
  await withTimeout(opened.promise, 5000, "ws open");
  wsClients.push(ws);
  return {
    ws,
    got,
    async until(re) {
      const end = performance.now() + 5000;
      for (;;) {
        for (const m of got) {
          const r = re.exec(m);
          if (r !== null) return r;
        }
        if (performance.now() > end) throw new Error(`no message matching ${re}: ${JSON.stringify(got)}`);
        await Bun.sleep(5);
      }
    },
  };
}

describe("pool mode, WebSocket subscribers", () => {
  test("a handler thread subscribes WebSocket connections on 2 I/O threads: publishes from TCP and from WebSocket reach them as text messages, in order", async () => {
    running = await startGrocketd(["--module", CHAT, "--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0/chat", "--threads", "2"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "2" },
      expectListening: 2,
    });
    const [tcpPort, wsPort] = running.ports as [number, number];
    // One WebSocket client on each I/O thread (the kernel spreads connections by source port).
    const by = new Map<number, Awaited<ReturnType<typeof wsClient>>>();
    for (let i = 0; i < 40 && by.size < 2; i++) {
      const w = await wsClient(wsPort, "/chat");
      w.ws.send("WHO");
      const t = Number((await w.until(/thread (\d) pid/))[1]);
      if (by.has(t)) w.ws.close();
      else by.set(t, w);
    }
    if (by.size < 2) throw new Error("could not get a WebSocket connection on each thread");
    const [a, b] = [by.get(0)!, by.get(1)!];
    for (const w of [a, b]) {
      w.ws.send("JOIN r");
      await w.until(/^OK joined r\n$/);
    }
    await a.until(/^\* user\d+ joined r\n$/); // b's join, published by the handler thread, reached a on thread 0
    const tcp = await connect(tcpPort);
    clients.push(tcp);
    tcp.write("JOIN r\n");
    await line(tcp, /OK joined r\n/);
    const n = 20;
    for (let i = 0; i < n; i++) tcp.write(`SAY t${i}\n`);
    for (let i = 0; i < n; i++) b.ws.send(`SAY w${i}`);
    const said = (w: { got: string[] }, who: string) => w.got.map((m) => new RegExp(`^r user\\d+: ${who}(\\d+)\\n$`).exec(m)).filter((m) => m !== null).map((m) => Number(m![1]));
    await a.until(new RegExp(`: t${n - 1}\n$`));
    await b.until(new RegExp(`: t${n - 1}\n$`));
    await a.until(new RegExp(`: w${n - 1}\n$`));
    await line(tcp, new RegExp(`: w${n - 1}\n`));
    const seq = Array.from({ length: n }, (_, i) => i);
    expect(said(a, "t")).toEqual(seq);
    expect(said(b, "t")).toEqual(seq);
    expect(said(a, "w")).toEqual(seq);
    expect(said(b, "w")).toEqual([]); // exceptSelf
    expect(a.got.concat(b.got).some((m) => m.startsWith("binary:"))).toBe(false);
  });

  test("a WebSocket push larger than one ring record reaches the client as one message, ahead of the reply", async () => {
    running = await startGrocketd(["--module", `${FIX}/push-probe.ts`, "--listen", "ws://127.0.0.1:0/ws", "--threads", "1"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1", GROCKETD_WORKER_RING_BYTES: String(64 * 1024), GROCKETD_IO_MAX_PACKET: "16384", GROCKETD_HTTP_MAX_BODY_BYTES: "1024" },
    });
    const w = await wsClient(running.ports[0]!, "/ws");
    w.ws.send("BIG 200000");
    await w.until(/^done\n$/);
    expect(w.got.map((m) => m.length)).toEqual([200001, 5]);
    expect(w.got[0]).toBe(`${"x".repeat(200000)}\n`);
  });
});

describe("TLS", () => {
  test("conn.send from a timer and after an owed reply reach a TLS client in order", async () => {
    const cert = makeTestCert();
    if ("skip" in cert) return void console.warn(cert.skip);
    try {
      running = await startGrocketd(["--module", `${FIX}/push-probe.ts`, "--listen", "tls://127.0.0.1:0", "--threads", "1"], {
        env: { GROCKETD_TLS_CERT: cert.cert, GROCKETD_TLS_KEY: cert.key },
      });
      let got = "";
      const handshake = Promise.withResolvers<void>();
      const sock = await Bun.connect({
        hostname: "127.0.0.1",
        port: running.ports[0]!,
        tls: { rejectUnauthorized: false },
        socket: { binaryType: "uint8array", handshake: () => handshake.resolve(), data: (_s, d) => void (got += text(d)), error() {}, close() {} },
      });
      await handshake.promise;
      sock.write("TICK 3\nASYNC t\n");
      // Everything, not just the last push: on a loaded machine a timer tick can come after "pushed t" (made once the
      // reply has gone), and stopping at "pushed t" missed it.
      const all = () => got.includes("pushed t\n") && (got.match(/tick \d/g)?.length ?? 0) >= 3;
      const end = Date.now() + 15_000;
      while (!all() && Date.now() < end) await Bun.sleep(5);
      // The ticks run on a timer while ASYNC's reply is owed: each tick made then waits for "reply t".
      expect(got.indexOf("reply t\n")).toBeGreaterThan(-1);
      expect(got.indexOf("reply t\n")).toBeLessThan(got.indexOf("pushed t\n"));
      expect(got.match(/tick \d/g)).toEqual(["tick 0", "tick 1", "tick 2"]);
      sock.end();
    } finally {
      cert.cleanup();
    }
  });
});
