// HTTP/1.1 message handling end to end (in-process server): framing across reads, pipelining, keep-alive rules,
// HEAD, Expect: 100-continue, chunked request bodies, absolute-form targets. Each test names its RFC section.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { countWritesPerEvent, startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { connect } from "../helpers/tcp-client.ts";
import { exchange, waitResponses } from "../helpers/http-client.ts";
import { parseResponses, withoutDate } from "../helpers/http-messages.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

/** Answers with everything it saw, so any parse difference shows in the response. */
const mirror = defineModule({
  name: "mirror",
  version: "1.0.0",
  grocketd: "^0.1.0",
  http: (req) =>
    JSON.stringify({
      method: req.method,
      url: req.url,
      path: req.path,
      query: [...req.query],
      version: req.version,
      headers: req.headers.entries(),
      body: req.text(),
    }),
});

function start(over: Parameters<typeof startInProcess>[2] = {}) {
  server = startInProcess(mirror, {}, { protocol: "http", ...over });
  return server.port;
}

const PIPELINE =
  "GET /a?x=1&y=%20z HTTP/1.1\r\nHost: h\r\nX-Long-Header: some value\r\n\r\n" +
  "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world" +
  "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer-A: t\r\n\r\n" +
  "DELETE /d%2Fe/f%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n";

describe("HTTP/1.1 framing", () => {
  test("RFC 9112 §2.1: a pipeline of four requests split at every byte offset parses exactly as unsplit", async () => {
    const port = start();
    const whole = await exchange(port, PIPELINE, 4);
    const want = whole.responses.map((r) => withoutDate(r.raw) + r.text);
    whole.c.end();
    expect(whole.responses.map((r) => JSON.parse(r.text).method)).toEqual(["GET", "POST", "POST", "DELETE"]);
    expect(JSON.parse(whole.responses[2]!.text).body).toBe("hello world");
    const c = await connect(port);
    let seen = 0;
    for (let cut = 1; cut < PIPELINE.length; cut++) {
      c.write(PIPELINE.slice(0, cut));
      await Bun.sleep(1);
      c.write(PIPELINE.slice(cut));
      seen += 4;
      const got = await waitResponses(c, seen);
      expect(got.slice(seen - 4).map((r) => withoutDate(r.raw) + r.text)).toEqual(want);
    }
    c.end();
  });

  test("RFC 9112 §9.3.2: the responses to a pipeline read in one event leave in one socket write", async () => {
    const port = start();
    const c = await connect(port);
    c.write("GET /warm HTTP/1.1\r\nHost: h\r\n\r\n");
    await waitResponses(c, 1);
    const n = countWritesPerEvent(server!);
    c.write(PIPELINE.repeat(8));
    expect((await waitResponses(c, 1 + 32)).map((r) => r.status)).toEqual(Array<number>(33).fill(200));
    expect(n.events).toBeGreaterThan(0);
    expect(n.events).toBeLessThan(8);
    expect(n.writes).toBe(n.events);
    c.end();
  });

  test("RFC 9112 §6.2: a body's buffer grows from what arrived, not from the Content-Length alone", async () => {
    const port = start({ http: { max_body_bytes: 4 * 1024 * 1024 } });
    const c = await connect(port);
    c.write("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 4000000\r\n\r\nx");
    await Bun.sleep(50);
    const conn = [...server!.io.conns][0] as unknown as { body: { capacity: number } };
    expect(conn.body.capacity).toBeGreaterThan(0);
    expect(conn.body.capacity).toBeLessThanOrEqual(16 * 1024); // was 4 MB per such connection
    c.write(Buffer.alloc(3_999_999, 0x79));
    const [r] = await waitResponses(c, 1);
    expect(JSON.parse(r!.text).body).toHaveLength(4_000_000);
    c.end();
  });

  test("RFC 9112 §2.1: the same pipeline fed one byte at a time", async () => {
    const port = start();
    const c = await connect(port);
    for (let i = 0; i < PIPELINE.length; i++) {
      c.write(PIPELINE[i]!);
      if (i % 16 === 0) await Bun.sleep(1);
    }
    const got = await waitResponses(c, 4);
    expect(got.map((r) => JSON.parse(r.text).url)).toEqual(["/a?x=1&y=%20z", "/b", "/c", "/d%2Fe/f%C3%A9"]);
    c.end();
  });

  test("RFC 9112 §3.2, RFC 9110 §4.2.3, §5.1: req: path decoded except reserved characters, query decoded, headers case-insensitive, version", async () => {
    const port = start();
    const { c, responses } = await exchange(port, PIPELINE, 4);
    const a = JSON.parse(responses[0]!.text);
    expect(a.path).toBe("/a");
    expect(a.query).toEqual([["x", "1"], ["y", " z"]]);
    expect(a.headers).toEqual([["host", "h"], ["x-long-header", "some value"]]);
    expect(a.version).toBe("1.1");
    expect(JSON.parse(responses[3]!.text).path).toBe("/d%2Fe/fé");
    c.end();
  });

  test("RFC 9112 §3.2.2: absolute-form request targets are accepted; the path comes from the target", async () => {
    const port = start();
    const { c, responses } = await exchange(port, "GET http://example.com:8080/p/q?z=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
    expect(responses[0]!.status).toBe(200);
    expect(JSON.parse(responses[0]!.text)).toMatchObject({ path: "/p/q", query: [["z", "1"]] });
    c.end();
  });

  test("RFC 9112 §7.1: chunked bodies with extensions and trailers are de-chunked", async () => {
    const port = start();
    const req = "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b;c=\"d\"\r\nabc\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n";
    const { c, responses } = await exchange(port, req);
    expect(JSON.parse(responses[0]!.text).body).toBe("abc");
    c.end();
  });

  test("RFC 9112 §9.3: HTTP/1.1 stays open by default; 1000 requests on one connection", async () => {
    const port = start();
    const c = await connect(port);
    for (let i = 0; i < 1000; i += 50) {
      c.write(Array.from({ length: 50 }, (_, k) => `GET /n${i + k} HTTP/1.1\r\nHost: h\r\n\r\n`).join(""));
      await waitResponses(c, i + 50);
    }
    const all = await waitResponses(c, 1000);
    expect(all.every((r, i) => r.status === 200 && JSON.parse(r.text).path === `/n${i}`)).toBe(true);
    expect(all.some((r) => r.headers.connection !== undefined)).toBe(false);
    expect(c.isClosed()).toBe(false);
    c.end();
  });

  test("RFC 9112 §9.6: Connection: close is answered with Connection: close and the server closes", async () => {
    const port = start();
    const c = await connect(port);
    c.write("GET /1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
    await c.closed;
    const { responses } = parseResponses(c.received());
    expect(responses).toHaveLength(1); // the request after close is not answered
    expect(responses[0]!.headers.connection).toBe("close");
  });

  test("RFC 9112 §9.3: HTTP/1.0 closes by default, stays open with Connection: keep-alive", async () => {
    const port = start();
    const a = await connect(port);
    a.write("GET / HTTP/1.0\r\n\r\n");
    await a.closed;
    expect(parseResponses(a.received()).responses[0]!.headers.connection).toBe("close");
    const b = await connect(port);
    b.write("GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const got = await waitResponses(b, 2);
    expect(got.map((r) => r.headers.connection)).toEqual(["keep-alive", "keep-alive"]);
    expect(b.isClosed()).toBe(false);
    b.end();
  });

  test("RFC 9110 §9.3.2: HEAD gets the headers of GET, with Content-Length, and no body", async () => {
    server = startInProcess(
      defineModule({ name: "h", version: "1.0.0", grocketd: "^0.1.0", http: () => "twelve bytes" }),
      {},
      { protocol: "http" },
    );
    const { c, responses } = await exchange(server.port, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 2, [true, false]);
    expect(responses[0]!.headers["content-length"]).toBe("12");
    expect(responses[0]!.body.length).toBe(0);
    expect(responses[1]!.text).toBe("twelve bytes");
    c.end();
  });

  test("RFC 9110 §10.1.1: Expect: 100-continue gets 100 Continue before the body is sent", async () => {
    const port = start();
    const c = await connect(port);
    c.write("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    const first = await waitResponses(c, 1);
    expect(first[0]!.status).toBe(100);
    c.write("12345");
    const both = await waitResponses(c, 2);
    expect(JSON.parse(both[1]!.text).body).toBe("12345");
    c.end();
  });

  test("RFC 9112 §9.3: http.max_requests_per_connection closes after the last one with Connection: close", async () => {
    const port = start({ http: { max_requests_per_connection: 3 } });
    const c = await connect(port);
    c.write("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n".repeat(5));
    await c.closed;
    const { responses } = parseResponses(c.received());
    expect(responses).toHaveLength(3);
    expect(responses[2]!.headers.connection).toBe("close");
  });
});
