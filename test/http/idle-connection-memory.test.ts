// What an idle HTTP keep-alive connection holds (issue 17 goal 3): its llhttp parser goes back to the listener's pool
// at the housekeeping tick once the connection is between requests, and its request state (req, res, exchange, wire
// writer, metrics, body: http/request-state.ts) is let go; the next request takes both again. What must not
// change: a head cut across reads (and ticks) is carried whole, and a hook's `req` never shows another connection's
// request once its parser serves that connection. No timing is asserted (the waits only bound the test).
import { afterEach, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { connect, type TestClient } from "../helpers/tcp-client.ts";
import { waitResponses } from "../helpers/http-client.ts";
import { idleHeapPerConnection } from "../helpers/idle-heap.ts";
import { until } from "../helpers/until.ts";

let server: InProcessServer | undefined;
const clients: TestClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.end();
  server?.stop();
  server = undefined;
});

/** ws.close_timeout_ms is the shortest timeout: the tick runs every 100 ms; HTTP's own timeouts stay at their defaults. */
const FAST_TICK = { close_timeout_ms: 400 };

interface ConnView {
  parser: unknown;
  rs: unknown;
  listener: { parsers: { size: number } };
}
const conns = (s: InProcessServer) => [...s.io.conns] as unknown as ConnView[];

async function client(port: number): Promise<TestClient> {
  const c = await connect(port);
  clients.push(c);
  return c;
}

const echoModule = defineModule({
  name: "echo-head",
  version: "1.0.0",
  grocketd: "^0.1.0",
  http: (req) => `${req.method} ${req.url} ${req.headers.get("x-tag") ?? "-"} ${req.body.length}`,
});

test("an idle keep-alive connection gives its parser and request state back at the tick and takes them for its next request", async () => {
  server = startInProcess(echoModule, {}, { protocol: "http", ws: FAST_TICK });
  const c = await client(server.port);
  c.write("GET /one HTTP/1.1\r\nHost: h\r\nX-Tag: a\r\n\r\n");
  expect((await waitResponses(c, 1))[0]!.text).toBe("GET /one a 0");
  const [conn] = conns(server);
  await until(() => conn!.parser === null, "the idle connection's parser is pooled", 5000, 20);
  expect(conn!.listener.parsers.size).toBe(1);
  expect(conn!.rs).toBeNull();
  // The next request (with a body, so llhttp runs rather than the fast scan) parses on a pooled parser as on a new one.
  c.write("POST /two HTTP/1.1\r\nHost: h\r\nX-Tag: b\r\nContent-Length: 3\r\n\r\nabc");
  const r = await waitResponses(c, 2);
  expect(r[1]!.text).toBe("POST /two b 3");
  expect(r[1]!.headers.connection ?? "keep-alive").not.toBe("close");
  await until(() => conn!.parser === null && conn!.rs === null, "pooled again", 5000, 20);
});

test("a head cut across reads keeps its parser over ticks and is parsed whole", async () => {
  server = startInProcess(echoModule, {}, { protocol: "http", ws: FAST_TICK });
  const c = await client(server.port);
  c.write("GET /first HTTP/1.1\r\nHost: h\r\n\r\n");
  await waitResponses(c, 1);
  const [conn] = conns(server);
  await until(() => conn!.parser === null, "pooled", 5000, 20);
  c.write("GET /split-across-ticks HTTP/1.1\r\nHost: h\r\nX-Ta");
  await until(() => conn!.parser !== null, "a parser taken for the new head", 5000, 20);
  // Several ticks pass with the head half received: the parser (and the bytes it carries) stays with the connection.
  await Bun.sleep(400);
  expect(conn!.parser).not.toBeNull();
  c.write("g: cut\r\n\r\n");
  expect((await waitResponses(c, 2))[1]!.text).toBe("GET /split-across-ticks cut 0");
});

test("a hook's req keeps showing its own request after its parser went on to serve another connection", async () => {
  let late = "";
  let lateDone = false;
  server = startInProcess(
    defineModule({
      name: "late-reader",
      version: "1.0.0",
      grocketd: "^0.1.0",
      async http(req, res) {
        if (req.path !== "/slow") return `other ${req.headers.get("x-tag")}`;
        await Bun.sleep(5); // answered after the read event: its head is detached from WASM memory
        res.send("slow");
        await Bun.sleep(600); // meanwhile the parser is pooled, and taken by the other connection
        late = `${req.url} ${req.headers.get("x-tag")} ${req.headers.size}`;
        lateDone = true;
      },
    }),
    {},
    { protocol: "http", ws: FAST_TICK },
  );
  const a = await client(server.port);
  a.write("GET /slow?q=1 HTTP/1.1\r\nHost: h\r\nX-Tag: mine\r\n\r\n");
  expect((await waitResponses(a, 1))[0]!.text).toBe("slow");
  const [connA] = conns(server);
  await until(() => connA!.parser === null, "A's parser pooled", 5000, 20);
  const b = await client(server.port);
  b.write("GET /other HTTP/1.1\r\nHost: h\r\nX-Tag: theirs\r\nX-More: 1\r\n\r\n");
  expect((await waitResponses(b, 1))[0]!.text).toBe("other theirs");
  await until(() => lateDone, "the late read", 5000, 20);
  expect(late).toBe("/slow?q=1 mine 2");
});

test("an idle keep-alive connection costs at most 530 bytes of heap: a 26-field connection object (issue 17 goal 3)", async () => {
  server = startInProcess(echoModule, {}, { protocol: "http", ws: FAST_TICK });
  const s = server;
  // 1,500 connections: with 400 the figure moved by ±150 B from run to run (heap statistics' granularity).
  const heap = await idleHeapPerConnection(s, 1500, "http", () => conns(s).every((c) => c.parser === null && c.rs === null));
  console.log(`idle HTTP connection: ${heap.bytes.toFixed(0)} B of heap, ${heap.objects.toFixed(2)} objects`);
  // Its own object, its Bun socket and the socket's address string, and nothing of its request (parked: test above).
  expect(heap.objects).toBeLessThan(4.5);
  // At most 26 fields, so the object takes 224 B (27 to 30 take 256): rare state is in one lazily made object
  // (io/conn-rare.ts, http/http-rare.ts). 379-385 B measured at 26 fields (409-465 B at 30, 476-751 B at 38).
  expect(Object.keys(conns(s)[0] ?? {}).length).toBeLessThanOrEqual(26);
  expect(heap.bytes).toBeLessThan(530);
}, 60_000);
