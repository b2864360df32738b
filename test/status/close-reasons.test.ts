// The access log's TCP close reasons and HTTP edge lines, on the real data path in this process (test/helpers/in-process.ts),
// with the access log writing into memory; and the thread counters those connections leave behind.
import { afterEach, describe, expect, test } from "bun:test";
import { AccessLog } from "../../src/access-log/access-log.ts";
import type { LineSink } from "../../src/access-log/line-sink.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { ModuleDefinition } from "../../src/module/types.ts";
import { S_CONN_OPEN, S_CONN_REFUSED, S_CONN_TOTAL, S_ERR_BAD_DATA, S_ERR_HANDLER, S_HTTP_4XX, S_PACKETS } from "../../src/stats/stat-fields.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { connect } from "../helpers/tcp-client.ts";
import { openRaw } from "../helpers/ws-client.ts";
import { clientFrame } from "../helpers/ws-frames.ts";

let srv: InProcessServer | undefined;
let al: AccessLog | undefined;
const lines: string[] = [];
afterEach(async () => {
  await al?.close();
  srv?.stop();
  srv = al = undefined;
  lines.length = 0;
});

function withLog(s: InProcessServer): InProcessServer {
  const sink: LineSink = { where: "memory", write: async (t) => void lines.push(...t.trimEnd().split("\n")), close: async () => {} };
  al = s.io.accessLog = new AccessLog(sink, { format: "json", bufferBytes: 1 << 20, flushMs: 5 }, s.io.stats, createLogger({ level: "silent", format: "text", where: "t" }));
  return s;
}

async function logged(n: number): Promise<any[]> {
  const end = performance.now() + 3000;
  while (lines.length < n && performance.now() < end) await Bun.sleep(5);
  return lines.map((l) => JSON.parse(l));
}

const lineModule: ModuleDefinition<unknown> = {
  name: "lines",
  version: "1.0.0",
  grocketd: "^0.1.0",
  accept: (c) => c.remotePort % 1 === 0,
  check: (b, s, e) => {
    if (b[s] === 0x21) return -1; // "!" = bad data
    const i = b.indexOf(10, s);
    return i < 0 || i >= e ? 0 : i - s + 1;
  },
  proc(p, conn) {
    const t = new TextDecoder().decode(p).trim();
    if (t === "close") conn.close();
    if (t === "throw") throw new Error("deliberate");
    return p;
  },
} as ModuleDefinition<unknown>;

async function session(port: number, send: string, waitClose = true): Promise<void> {
  const c = await connect(port);
  c.write(send);
  if (waitClose) await c.closed;
  else {
    await c.waitBytes(send.length, 3000);
    c.end();
    await c.closed;
  }
}

describe("close reasons and counters", () => {
  test("TCP: module, bad_data, handler_error, idle_timeout, peer; packets and bytes per connection", async () => {
    srv = withLog(startInProcess(lineModule, { idle_timeout_ms: 150 }));
    const port = srv.port;
    await session(port, "a\nclose\n");
    await session(port, "!x\n");
    await session(port, "throw\n");
    await session(port, "idle\n"); // answered, then nothing: closed after io.idle_timeout_ms
    await session(port, "b\nc\n", false); // the client closes
    const got = await logged(5);
    expect(got.map((l) => l.reason)).toEqual(["module", "bad_data", "handler_error", "idle_timeout", "peer"]);
    expect(got[0]).toMatchObject({ kind: "tcp", packets: 2, bytes_in: 8, bytes_out: 8, module: "lines", thread: 0 });
    expect(got[3].duration_ms).toBeGreaterThanOrEqual(100);
    const st = srv.io.stats;
    expect([st[S_CONN_TOTAL], st[S_CONN_OPEN], st[S_ERR_BAD_DATA], st[S_ERR_HANDLER]]).toEqual([5, 0, 1, 1]);
    expect(st[S_PACKETS]).toBe(6); // a, close, throw, idle, b, c
  });

  test("TCP: a connection refused by accept is counted and logged as refused", async () => {
    srv = withLog(startInProcess({ ...lineModule, accept: () => false }));
    const c = await connect(srv.port);
    await c.closed;
    const got = await logged(1);
    expect(got[0]).toMatchObject({ kind: "tcp", reason: "refused", packets: 0 });
    expect([srv.io.stats[S_CONN_TOTAL], srv.io.stats[S_CONN_REFUSED], srv.io.stats[S_CONN_OPEN]]).toEqual([1, 1, 0]);
  });

  test("WebSocket: the 101's line, then one at close, its bytes out counting the 101 and every frame, its messages as packets", async () => {
    const echo: ModuleDefinition<unknown> = { name: "wslog", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p } as ModuleDefinition<unknown>;
    srv = withLog(startInProcess(echo, {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0 } }));
    const ws = await openRaw(srv.port);
    expect(ws.status).toBe(101);
    ws.c.write(clientFrame(1, "one"));
    ws.c.write(clientFrame(1, "two!"));
    expect((await ws.frames(2)).length).toBe(2);
    expect(ws.c.received().length).toBe(Buffer.byteLength(ws.head) + 4 + (2 + 3) + (2 + 4));
    ws.c.end();
    await ws.c.closed;
    // The 101's head, the two echoes, and the close frame the server answers the client's end with (code: 4 bytes).
    const sent = Buffer.byteLength(ws.head) + 4 + (2 + 3) + (2 + 4) + 4;
    const got = await logged(2);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ kind: "http", method: "GET", target: "/ws", status: 101 });
    // The bytes the kernel took for this socket, before and after the upgrade; both messages counted once.
    expect(got[1]).toMatchObject({ kind: "tcp", packets: 2, bytes_out: sent, module: "wslog", reason: "peer" });
    expect(got[1].bytes_in).toBeGreaterThan(0);
  });

  test("HTTP: a request whose client leaves before the response is logged as 499; refusals as 4xx with no request line", async () => {
    const slow: ModuleDefinition<unknown> = {
      name: "slow",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http: (_req, res) => Bun.sleep(200).then(() => res.send("late")),
    } as ModuleDefinition<unknown>;
    srv = withLog(startInProcess(slow, {}, { protocol: "http" }));
    const c = await connect(srv.port);
    c.write("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    await Bun.sleep(50);
    c.socket.terminate(); // gone, not half-closed: a half-closed client would still get its response
    await c.closed;
    const bad = await connect(srv.port);
    bad.write("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"); // two Host fields: 400
    await bad.closed;
    const got = await logged(2);
    expect(got[0]).toMatchObject({ kind: "http", method: "GET", target: "/wait", status: 499, bytes_out: 0 });
    expect(got[1]).toMatchObject({ kind: "http", method: "-", target: "-", version: "-", status: 400 });
    expect(srv.io.stats[S_HTTP_4XX]).toBe(1); // the 499 was never sent
    await Bun.sleep(250); // the slow handler settles on a closed connection without a second line
    expect(lines).toHaveLength(2);
  });
});
