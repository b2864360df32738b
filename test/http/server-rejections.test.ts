// Requests the server refuses on its own: each gets its exact status and a clean close. RFC sections quoted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { connect } from "../helpers/tcp-client.ts";
import { refused, waitResponses } from "../helpers/http-client.ts";
import { parseResponses } from "../helpers/http-messages.ts";

let server: InProcessServer;
let port: number;
const ok = defineModule({ name: "ok", version: "1.0.0", grocketd: "^0.1.0", http: (req) => `ok ${req.body.length}` });

beforeAll(() => {
  server = startInProcess(ok, {}, {
    protocol: "http",
    http: { max_url_bytes: 100, max_head_bytes: 1024, max_headers: 10, max_body_bytes: 1000 },
  });
  port = server.port;
});
afterAll(() => server.stop());

const H = "Host: h\r\n";

async function status(request: string): Promise<number> {
  const r = await refused(port, request);
  expect(r.headers.connection).toBe("close");
  return r.status;
}

describe("rejections", () => {
  test("RFC 9112 §3: a malformed request line → 400", async () => {
    expect(await status("GET /a b HTTP/1.1\r\n" + H + "\r\n")).toBe(400);
    expect(await status("GET / HTTP/1.1 extra\r\n" + H + "\r\n")).toBe(400);
    expect(await status("\x01\x02\x03 / HTTP/1.1\r\n\r\n")).toBe(400);
  });

  test("RFC 9112 §5.1: no whitespace between field name and colon → 400", async () => {
    expect(await status("GET / HTTP/1.1\r\n" + H + "Bad Name: x\r\n\r\n")).toBe(400);
    expect(await status("GET / HTTP/1.1\r\n" + H + "X-A : x\r\n\r\n")).toBe(400);
  });

  test("RFC 9112 §6.1: Content-Length together with Transfer-Encoding → 400 (request smuggling)", async () => {
    expect(await status("POST / HTTP/1.1\r\n" + H + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).toBe(400);
  });

  test("RFC 9110 §8.6: two different Content-Length values → 400", async () => {
    expect(await status("POST / HTTP/1.1\r\n" + H + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")).toBe(400);
  });

  test("RFC 9112 §5.2: obs-fold (a folded header line) → 400", async () => {
    expect(await status("GET / HTTP/1.1\r\n" + H + "X-A: one\r\n two\r\n\r\n")).toBe(400);
  });

  test("RFC 9110 §5.5: NUL or control characters in a field value → 400", async () => {
    expect(await status("GET / HTTP/1.1\r\n" + H + "X-A: a\x00b\r\n\r\n")).toBe(400);
    expect(await status("GET / HTTP/1.1\r\n" + H + "X-A: a\x7fb\r\n\r\n")).toBe(400);
    expect(await status("GET / HTTP/1.1\r\n" + H + "X-A: a\x01b\r\n\r\n")).toBe(400);
  });

  test("RFC 9112 §3.2: HTTP/1.1 without Host, or with two Host fields → 400", async () => {
    expect(await status("GET / HTTP/1.1\r\n\r\n")).toBe(400);
    expect(await status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")).toBe(400);
  });

  test("RFC 9112 §6.1: a transfer coding the server does not know → 501", async () => {
    expect(await status("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")).toBe(501);
    expect(await status("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\n\r\n")).toBe(501);
  });

  test("RFC 9112 §6.1: chunked in an HTTP/1.0 request is faulty framing → 400", async () => {
    expect(await status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).toBe(400);
  });

  test("RFC 9110 §9.1: an unknown method → 501", async () => {
    expect(await status("FROB / HTTP/1.1\r\n" + H + "\r\n")).toBe(501);
  });

  test("RFC 9112 §3 / RFC 9110 §15.5.15: a request-target longer than http.max_url_bytes → 414", async () => {
    expect(await status(`GET /${"a".repeat(200)} HTTP/1.1\r\n${H}\r\n`)).toBe(414);
  });

  test("RFC 6585 §5: a head larger than http.max_head_bytes, or too many fields → 431", async () => {
    expect(await status(`GET / HTTP/1.1\r\n${H}X-Big: ${"b".repeat(2000)}\r\n\r\n`)).toBe(431);
    const many = Array.from({ length: 11 }, (_, i) => `X-${i}: v\r\n`).join("");
    expect(await status(`GET / HTTP/1.1\r\n${H}${many}\r\n`)).toBe(431);
  });

  test("RFC 9110 §15.5.14: a body larger than http.max_body_bytes → 413 (declared or chunked)", async () => {
    expect(await status(`POST / HTTP/1.1\r\n${H}Content-Length: 5000\r\n\r\n`)).toBe(413);
    const chunk = `3e8\r\n${"x".repeat(1000)}\r\n`;
    expect(await status(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${chunk}${chunk}0\r\n\r\n`)).toBe(413);
  });

  test("RFC 9110 §15.6.6: an HTTP major version other than 1 → 505", async () => {
    expect(await status("GET / HTTP/2.0\r\n" + H + "\r\n")).toBe(505);
  });

  test("RFC 9110 §10.1.1: an Expect other than 100-continue → 417", async () => {
    expect(await status("POST / HTTP/1.1\r\n" + H + "Expect: fancy\r\nContent-Length: 1\r\n\r\nx")).toBe(417);
    expect(await status("GET / HTTP/1.1\r\n" + H + "Expect: fancy\r\n\r\n")).toBe(417); // body-less: the fast scan's path
  });

  test("RFC 9110 §9.1, §15.6.6 / RFC 9112 §2.3, §3: the status is the refused request's own, at every split and after pipelined ones", async () => {
    const GOOD = "GET /ok HTTP/1.1\r\n" + H + "\r\n";
    const cases: Array<[string, number]> = [
      ["GET / HTTP/9.9\r\n" + H + "\r\n", 505], // well-formed version we do not speak
      ["GET / HTTP/x.1\r\n" + H + "\r\n", 400], // not an HTTP-version at all
      ["BREW / HTTP/1.1\r\n" + H + "\r\n", 501], // a token method we do not implement
      ["G{T / HTTP/1.1\r\n" + H + "\r\n", 400], // not a token
      ["GET / HTTP/1.1 extra\r\n" + H + "\r\n", 400], // a version followed by more than CRLF
    ];
    for (const [bad, want] of cases) {
      for (const req of [bad, GOOD + bad]) {
        const good = req === bad ? 0 : 1;
        for (let cut = 1; cut < req.length; cut++) {
          const c = await connect(port);
          c.write(req.slice(0, cut));
          await Bun.sleep(1);
          c.write(req.slice(cut));
          await c.closed;
          const got = parseResponses(c.received()).responses.map((r) => r.status);
          expect({ req, cut, got }).toEqual({ req, cut, got: [...Array<number>(good).fill(200), want] });
        }
      }
    }
  }, 30_000);

  test("RFC 9112 §9.3.2: a refused request after pipelined good ones: the good responses come first, then the error, then close", async () => {
    const c = await connect(port);
    c.write("GET /1 HTTP/1.1\r\n" + H + "\r\nGET /2 HTTP/1.1\r\n" + H + "\r\nGET / HTTP/9.9\r\n" + H + "\r\n");
    await c.closed;
    expect(parseResponses(c.received()).responses.map((r) => r.status)).toEqual([200, 200, 505]);
  });
});

describe("timeouts", () => {
  test("RFC 9110 §15.5.9: a head not complete within http.head_timeout_ms → 408 and close", async () => {
    const s = startInProcess(ok, {}, { protocol: "http", http: { head_timeout_ms: 200 } });
    try {
      const c = await connect(s.port);
      c.write("GET / HTTP/1.1\r\nHo");
      const t0 = performance.now();
      await c.closed;
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
      expect(parseResponses(c.received()).responses[0]!.status).toBe(408);
    } finally {
      s.stop();
    }
  });

  test("RFC 9110 §15.5.9: a body that stalls longer than http.body_timeout_ms → 408 and close", async () => {
    const s = startInProcess(ok, {}, { protocol: "http", http: { body_timeout_ms: 200 } });
    try {
      const c = await connect(s.port);
      c.write("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n12345");
      await c.closed;
      expect(parseResponses(c.received()).responses[0]!.status).toBe(408);
    } finally {
      s.stop();
    }
  });

  test("RFC 9110 §15.5.9: a body trickled so that no pause reaches http.body_timeout_ms still ends at http.body_deadline_ms → 408 and close", async () => {
    const deadline = 400;
    const s = startInProcess(ok, {}, { protocol: "http", http: { body_timeout_ms: 1000, body_deadline_ms: deadline } });
    try {
      const c = await connect(s.port);
      // One byte every 100 ms: each pause is far below body_timeout_ms; the whole body would take 4 s.
      const total = 40;
      c.write(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${total}\r\n\r\n`);
      const t0 = performance.now();
      let sent = 0;
      while (sent < total && !c.isClosed()) {
        c.write("x");
        sent++;
        await Bun.sleep(100);
      }
      await c.closed;
      // The coarse clock may start the deadline up to one tick (100 ms here) before the head arrived.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(deadline / 2);
      const { responses } = parseResponses(c.received());
      expect(responses.map((r) => r.status)).toEqual([408]);
      expect(responses[0]!.headers.connection).toBe("close");
      // Cut while the body was still coming (deadline + one housekeeping tick is ~5 bytes in), not after it ended.
      expect(sent).toBeLessThan(total);
      expect(s.io.conns.size).toBe(0);
    } finally {
      s.stop();
    }
  });

  test("RFC 9112 §9.5: an idle keep-alive connection is closed after http.keep_alive_timeout_ms, without a response", async () => {
    const s = startInProcess(ok, {}, { protocol: "http", http: { keep_alive_timeout_ms: 200 } });
    try {
      const c = await connect(s.port);
      c.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      await waitResponses(c, 1);
      const t0 = performance.now();
      await c.closed;
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
      expect(parseResponses(c.received()).responses).toHaveLength(1);
    } finally {
      s.stop();
    }
  });
});
