/**
 * The thin llhttp binding: split/pipeline equivalence, limits, llhttp's strict rejections, pause/upgrade,
 * callback failures, and the errno/method/struct tables checked against the pinned binary.
 */
import { describe, expect, test } from "bun:test";
import { HPE, METHOD_NAMES, ParseResult, RequestParser } from "../../src/http/llhttp/parser.ts";
import { instantiateLlhttp } from "../../src/http/llhttp/wasm-loader.ts";
import {
  LIMITS, type Msg, Recorder, bytewise, latin1, parsePieces, prng, randomCuts, splitAt,
} from "./llhttp-harness.ts";


const PIPELINE = latin1(
  "GET /api/v1/users/12345?fields=name HTTP/1.1\r\nHost: example.com\r\nUser-Agent: grk-test/1.0\r\n" +
    "Accept: */*\r\nX-Trailing-WS: a b \t \r\nX-Custom-Thing:v\r\n\r\n" +
    "POST /submit HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nX-Empty:\r\n\r\n" +
    "hello world" +
    "POST /chunked HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n" +
    '5;ext=1\r\nhello\r\n6;name="quoted val"\r\n world\r\n0\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n' +
    "GET /last HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nX-Latin: caf\xe9\r\n\r\n",
);

const reference = parsePieces([PIPELINE]);

function expectSameAsReference(msgs: Msg[], rc: number): void {
  expect(rc).toBe(0);
  expect(msgs).toEqual(reference.rec.messages);
}

describe("pipeline equivalence", () => {
  test("unsplit parse is what the requests say", () => {
    const m = reference.rec.messages;
    expect(reference.rc).toBe(0);
    expect(m.map((x) => [x.method, x.url, x.body, x.keepAlive])).toEqual([
      ["GET", "/api/v1/users/12345?fields=name", "", true],
      ["POST", "/submit", "hello world", true],
      ["POST", "/chunked", "hello world", true],
      ["GET", "/last", "", false],
    ]);
    expect(m[0]!.headers).toEqual([
      ["host", "example.com"], ["user-agent", "grk-test/1.0"], ["accept", "*/*"], ["x-trailing-ws", "a b"],
      ["x-custom-thing", "v"],
    ]);
    expect(m[0]!.rawNames).toEqual(["Host", "User-Agent", "Accept", "X-Trailing-WS", "X-Custom-Thing"]);
    expect(m[1]!.headers).toContainEqual(["x-empty", ""]);
    expect([m[1]!.contentLength, m[1]!.chunked, m[2]!.contentLength, m[2]!.chunked]).toEqual([11, false, -1, true]);
    // Trailers are discarded (RFC 9112 §7.1.2), not mixed into the header list.
    expect(m[2]!.headers.map((h) => h[0])).toEqual(["host", "transfer-encoding"]);
    expect(m[3]!.headers).toContainEqual(["x-latin", "café"]);
    for (const { body: _b, headAtEnd, ...head } of m) expect(headAtEnd).toEqual(head);
  });

  test("every two-chunk split parses identically", () => {
    for (let cut = 1; cut < PIPELINE.length; cut++) {
      const { rc, rec } = parsePieces(splitAt(PIPELINE, [cut]));
      expectSameAsReference(rec.messages, rc);
    }
  });

  test("byte-by-byte feeding parses identically", () => {
    const { rc, rec } = parsePieces(bytewise(PIPELINE));
    expectSameAsReference(rec.messages, rc);
  });

  test("500 seeded random multi-splits parse identically", () => {
    const rnd = prng(0x5eed);
    for (let i = 0; i < 500; i++) {
      const { rc, rec } = parsePieces(splitAt(PIPELINE, randomCuts(PIPELINE.length, rnd, 12)));
      expectSameAsReference(rec.messages, rc);
    }
  });

  test("two connections interleaved on the same instance", () => {
    const rnd = prng(42);
    for (let round = 0; round < 50; round++) {
      const a = splitAt(PIPELINE, randomCuts(PIPELINE.length, rnd, 20));
      const b = splitAt(PIPELINE, randomCuts(PIPELINE.length, rnd, 20));
      const ra = new Recorder();
      const rb = new Recorder();
      const pa = new RequestParser(ra, LIMITS);
      const pb = new RequestParser(rb, LIMITS);
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (i < a.length) expect(pa.execute(a[i]!)).toBe(0);
        if (i < b.length) expect(pb.execute(b[i]!)).toBe(0);
      }
      expectSameAsReference(ra.messages, 0);
      expectSameAsReference(rb.messages, 0);
      pa.destroy();
      pb.destroy();
    }
  });

  test("reads larger than the shared input buffer cap are fed in slices, heads straddling slices", () => {
    let gets = "";
    for (let i = 0; i < 12000; i++) gets += `GET /g${i} HTTP/1.1\r\nH: v\r\n\r\n`;
    for (const size of [700_000, 700_001, 700_017]) {
      const all = latin1(`POST /big HTTP/1.1\r\nContent-Length: ${size}\r\n\r\n${"x".repeat(size)}${gets}`);
      expect(all.length).toBeGreaterThan(1024 * 1024);
      const { rc, rec } = parsePieces([all]);
      expect(rc).toBe(0);
      expect(rec.messages.length).toBe(12001);
      expect([rec.messages[0]!.url, rec.messages[0]!.body.length]).toEqual(["/big", size]);
      rec.messages.slice(1).forEach((m, i) => {
        if (m.url !== `/g${i}` || m.headers[0]![1] !== "v") throw new Error(`message ${i + 1}: ${m.url}`);
      });
    }
  });
});

describe("limits", () => {
  const small = { maxHeadBytes: 1024, maxHeaders: 5, maxUrlBytes: 256 };

  test("head larger than maxHeadBytes → HeadTooLarge, in one read or many", () => {
    const req = latin1(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"v".repeat(1100)}\r\n\r\n`);
    for (const pieces of [[req], splitAt(req, [50, 600]), bytewise(req)]) {
      const { rc, p } = parsePieces(pieces, small);
      expect(rc).toBe(ParseResult.HeadTooLarge);
      expect(p.errorName()).toBe("GRK_HEAD_TOO_LARGE");
    }
    // Exactly at the limit is fine: the limit counts from the request-target to the last header byte.
    const ok = latin1(`GET / HTTP/1.1\r\nX: ${"v".repeat(1024 - "/ HTTP/1.1\r\nX: ".length)}\r\n\r\n`);
    expect(parsePieces([ok], small).rc).toBe(0);
    expect(parsePieces(bytewise(ok), small).rc).toBe(0);
  });

  test("spaces llhttp skips (before the target, before a value) count toward the head", () => {
    const before = latin1(`GET ${" ".repeat(3000)}/ HTTP/1.1\r\n\r\n`);
    expect(parsePieces(splitAt(before, [10, 1000, 2000]), small).rc).toBe(ParseResult.HeadTooLarge);
    const ows = latin1(`GET / HTTP/1.1\r\nX:${" ".repeat(3000)}v\r\n\r\n`);
    expect(parsePieces([ows], small).rc).toBe(ParseResult.HeadTooLarge);
    expect(parsePieces(splitAt(ows, [500, 1500]), small).rc).toBe(ParseResult.HeadTooLarge);
  });

  test("more than maxHeaders → TooManyHeaders; exactly maxHeaders is fine", () => {
    const hdrs = (n: number) => latin1(`GET / HTTP/1.1\r\n${"X: 1\r\n".repeat(n)}\r\n`);
    expect(parsePieces([hdrs(5)], small).rc).toBe(0);
    const { rc, p } = parsePieces(bytewise(hdrs(6)), small);
    expect(rc).toBe(ParseResult.TooManyHeaders);
    expect(p.errorName()).toBe("GRK_TOO_MANY_HEADERS");
  });

  test("heads with more headers than the first header slots (16) parse whole, pipelined, split or not; the limit stays maxHeaders", () => {
    const many = (n: number, tag: string) => `GET /${tag} HTTP/1.1\r\n${Array.from({ length: n }, (_, i) => `H${i}: v${i}-${tag}\r\n`).join("")}\r\n`;
    const two = latin1(many(3, "a") + many(40, "b") + many(100, "c") + many(2, "d"));
    for (const pieces of [[two], splitAt(two, [30, 700, 2000]), bytewise(two)]) {
      const { rc, rec } = parsePieces(pieces);
      expect(rc).toBe(0);
      expect(rec.messages.map((m) => [m.url, m.headers.length])).toEqual([["/a", 3], ["/b", 40], ["/c", 100], ["/d", 2]]);
      const b = rec.messages[1]!;
      expect(b.headers[0]).toEqual(["h0", "v0-b"]);
      expect(b.headers[39]).toEqual(["h39", "v39-b"]);
      expect(b.headAtEnd.headers[39]).toEqual(["h39", "v39-b"]);
      expect(rec.messages[2]!.headers[99]).toEqual(["h99", "v99-c"]);
      expect(rec.messages[3]!.headers).toEqual([["h0", "v0-d"], ["h1", "v1-d"]]);
    }
    expect(parsePieces([latin1(many(101, "x"))]).rc).toBe(ParseResult.TooManyHeaders);
  });

  test("URL longer than maxUrlBytes → UrlTooLong (414)", () => {
    const url = (n: number) => latin1(`GET /${"a".repeat(n - 1)} HTTP/1.1\r\n\r\n`);
    expect(parsePieces([url(256)], small).rc).toBe(0);
    for (const pieces of [[url(257)], bytewise(url(257))]) {
      const { rc, p } = parsePieces(pieces, small);
      expect(rc).toBe(ParseResult.UrlTooLong);
      expect(p.errorName()).toBe("GRK_URL_TOO_LONG");
    }
  });

  test("trailer section is bounded by the same limits", () => {
    const tr = (n: number) =>
      latin1(`POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${"T: 1\r\n".repeat(n)}\r\n`);
    expect(parsePieces(bytewise(tr(5)), small).rc).toBe(0);
    expect(parsePieces(bytewise(tr(6)), small).rc).toBe(ParseResult.TooManyHeaders);
    const big = latin1(`POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: ${"x".repeat(2000)}\r\n\r\n`);
    expect(parsePieces([big], small).rc).toBe(ParseResult.HeadTooLarge);
  });

  test("bad limits throw GRK_ERR_LLHTTP_BAD_LIMITS", () => {
    expect(() => new RequestParser(new Recorder(), { ...small, maxHeaders: 0 })).toThrow(
      expect.objectContaining({ code: "GRK_ERR_LLHTTP_BAD_LIMITS" }),
    );
  });
});

describe("llhttp strict rejections come through", () => {
  const cases: [string, string, string][] = [
    ["CL + TE", "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", "HPE_INVALID_TRANSFER_ENCODING"],
    ["TE + CL", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "HPE_INVALID_CONTENT_LENGTH"],
    ["duplicate different CL", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "HPE_UNEXPECTED_CONTENT_LENGTH"],
    ["duplicate equal CL", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "HPE_UNEXPECTED_CONTENT_LENGTH"],
    ["CL list", "POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\na", "HPE_INVALID_CONTENT_LENGTH"],
    ["TE not ending in chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "HPE_INVALID_TRANSFER_ENCODING"],
    ["obs-fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["NUL in value", "GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["CTL in value", "GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["DEL in value", "GET / HTTP/1.1\r\nA: b\x7fc\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["bare CR in value", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", "HPE_LF_EXPECTED"],
    ["space in name", "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["unknown method", "FOO / HTTP/1.1\r\n\r\n", "HPE_INVALID_METHOD"],
    ["lower-case method", "get / HTTP/1.1\r\n\r\n", "HPE_INVALID_METHOD"],
    ["a response (parser is HTTP_REQUEST, not BOTH)", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", "HPE_INVALID_METHOD"],
    ["space in URL", "GET /a b HTTP/1.1\r\n\r\n", "HPE_INVALID_CONSTANT"],
    ["CTL in URL", "GET /a\x01b HTTP/1.1\r\n\r\n", "HPE_INVALID_URL"],
    ["bare LF line ends", "GET / HTTP/1.1\nHost: x\n\n", "HPE_INVALID_VERSION"],
    ["HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", "HPE_INVALID_VERSION"],
    ["bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HPE_INVALID_CHUNK_SIZE"],
    ["data after Connection: close", "GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n", "HPE_CLOSED_CONNECTION"],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => {
      for (const pieces of [[latin1(input)], bytewise(latin1(input))]) {
        const { rc, p } = parsePieces(pieces);
        expect(rc).toBeGreaterThan(0);
        expect(p.errorName()).toBe(want);
        expect(p.errorReason().length).toBeGreaterThan(0);
        expect(p.execute(latin1("GET / HTTP/1.1\r\n\r\n"))).toBe(rc); // errors are sticky
      }
    });
  }
});

describe("request facts", () => {
  test("HTTP/2.0 request line is accepted with versionMajor 2 (server answers 505)", () => {
    const { rc, rec } = parsePieces([latin1("GET / HTTP/2.0\r\n\r\n")]);
    expect(rc).toBe(0);
    expect([rec.messages[0]!.versionMajor, rec.messages[0]!.versionMinor]).toEqual([2, 0]);
  });

  test("PRI preface → PausedH2Upgrade", () => {
    const { rc, p } = parsePieces([latin1("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]);
    expect(rc).toBe(ParseResult.PausedH2Upgrade);
    expect(p.errorName()).toBe("HPE_PAUSED_H2_UPGRADE");
  });

  test("keep-alive rules (RFC 9112 §9.3)", () => {
    const ka = (s: string) => parsePieces([latin1(s)]).rec.messages[0]!.keepAlive;
    expect(ka("GET / HTTP/1.1\r\n\r\n")).toBe(true);
    expect(ka("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")).toBe(false);
    expect(ka("GET / HTTP/1.0\r\n\r\n")).toBe(false);
    expect(ka("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).toBe(true);
  });

  test("methods and Content-Length above 2^32 are read from llhttp_t", () => {
    for (const m of ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "M-SEARCH", "PROPFIND", "QUERY"]) {
      const { rc, rec } = parsePieces([latin1(`${m} / HTTP/1.1\r\n\r\n`)]);
      expect(rc).toBe(0);
      expect(rec.messages[0]!.method).toBe(m);
    }
    const rec = new Recorder();
    const p = new RequestParser(rec, LIMITS);
    const hc: number[] = [];
    rec.onHeadersComplete = (q) => (hc.push(q.contentLength), 0);
    expect(p.execute(latin1("POST / HTTP/1.1\r\nContent-Length: 12345678901\r\n\r\nab"))).toBe(0);
    expect(hc).toEqual([12345678901]);
  });

  test("header lookups compare bytes case-insensitively; duplicates are countable", () => {
    const rec = new Recorder();
    const seen: unknown[] = [];
    rec.onComplete = (p) =>
      seen.push(p.header("host"), p.header("HOST".toLowerCase()), p.header("x-missing"), p.headerCountOf("host"),
        p.headerIndex("host"), p.headerIndex("host", 1), p.header("x_under"), p.urlStart() < p.urlEnd());
    const p = new RequestParser(rec, LIMITS);
    expect(p.execute(latin1("GET /u HTTP/1.1\r\nHOST: a\r\nX_Under: u\r\nhOsT: b\r\n\r\n"))).toBe(0);
    expect(seen).toEqual(["a", "a", undefined, 2, 0, 2, "u", true]);
  });

  test("Upgrade and CONNECT → PausedUpgrade with the tail offset in the last chunk", () => {
    const head = "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    const all = latin1(head + "TAILBYTES");
    for (let cut = 1; cut < all.length; cut++) {
      const { rc, p, rec } = parsePieces(splitAt(all, [cut]));
      expect(rc).toBe(ParseResult.PausedUpgrade);
      expect(rec.messages[0]!.upgrade).toBe(true);
      // Offset into the chunk of the execute() that returned PausedUpgrade.
      expect(p.errorOffset()).toBe(cut >= head.length ? head.length : head.length - cut);
    }
    // A declined upgrade: the body was parsed before the pause; parsing continues in HTTP/1.1.
    const declined = parsePieces([latin1(
      "POST /u HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: foo\r\nContent-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\n\r\n",
    )]);
    expect([declined.rc, declined.rec.messages.map((m) => [m.url, m.body])]).toEqual([22, [["/u", "abc"]]]);
    declined.p.resumeAfterUpgrade();
    const rest = latin1("GET /next HTTP/1.1\r\n\r\n");
    expect(declined.p.execute(rest)).toBe(0);
    expect(declined.rec.messages.map((m) => m.url)).toEqual(["/u", "/next"]);
    const connect = "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example\r\n\r\n";
    const c = parsePieces([latin1(connect + "XYZ")]);
    expect([c.rc, c.p.errorOffset(), c.rec.messages[0]!.url]).toEqual([ParseResult.PausedUpgrade, connect.length, "a.example:443"]);
  });
});

describe("control flow", () => {
  test("pause from onMessageComplete, detach, resume with the rest", () => {
    const rec = new Recorder();
    rec.completeResult = HPE.PAUSED;
    rec.onComplete = (q) => q.detachHead();
    const p = new RequestParser(rec, LIMITS);
    const two = latin1("GET /first HTTP/1.1\r\nHost: one\r\n\r\nGET /second HTTP/1.1\r\nHost: two\r\n\r\n");
    expect(p.execute(two)).toBe(ParseResult.Paused);
    const off = p.errorOffset();
    expect(two.subarray(off).toString("latin1").startsWith("GET /second")).toBe(true);
    // Another connection overwrites the shared input buffer; the detached head must not change.
    parsePieces([latin1("GET /zzzzzzzzzzzzzzzzzzzzzz HTTP/1.1\r\nHost: zzzzzzzzzzz\r\n\r\n")]);
    expect([p.url(), p.header("host")]).toEqual(["/first", "one"]);
    expect(p.execute(two)).toBe(ParseResult.Paused); // still paused until resume()
    p.resume();
    rec.completeResult = 0;
    expect(p.execute(two.subarray(off))).toBe(0);
    expect(rec.messages.map((m) => m.url)).toEqual(["/first", "/second"]);
  });

  test("a throwing callback is recorded, never unwinds through WASM", () => {
    const rec = new Recorder();
    const boom = new Error("boom");
    rec.onHeadersComplete = () => {
      throw boom;
    };
    const p = new RequestParser(rec, LIMITS);
    expect(p.execute(latin1("GET / HTTP/1.1\r\n\r\n"))).toBe(ParseResult.CallbackThrew);
    expect(p.callbackError).toBe(boom);
    expect(p.errorName()).toBe("GRK_CALLBACK_THREW");
    p.reset();
    rec.onHeadersComplete = () => 0;
    expect(p.execute(latin1("GET / HTTP/1.1\r\n\r\n"))).toBe(0);
  });

  test("execute from inside a callback is refused (GRK_ERR_LLHTTP_REENTRANT)", () => {
    const rec = new Recorder();
    const p = new RequestParser(rec, LIMITS);
    rec.onComplete = () => void p.execute(latin1("GET / HTTP/1.1\r\n\r\n"));
    expect(p.execute(latin1("GET / HTTP/1.1\r\n\r\n"))).toBe(ParseResult.CallbackThrew);
    expect(p.callbackError).toMatchObject({ code: "GRK_ERR_LLHTTP_REENTRANT" });
  });

  test("WASM memory growth inside a callback (new connections) keeps live offsets valid", () => {
    const rec = new Recorder();
    const others: RequestParser[] = [];
    const tiny = { maxHeadBytes: 64, maxHeaders: 1, maxUrlBytes: 64 };
    rec.headersResult = 0;
    const p = new RequestParser(rec, LIMITS);
    let seen: unknown[] = [];
    rec.onComplete = (q) => {
      for (let i = 0; i < 30000; i++) others.push(new RequestParser(new Recorder(), tiny)); // ~2 MiB of llhttp_t
      seen = [q.url(), q.header("host"), q.headerName(1)];
    };
    expect(p.execute(latin1("GET /grow HTTP/1.1\r\nHost: h\r\nX-After: 1\r\n\r\n"))).toBe(0);
    expect(seen).toEqual(["/grow", "h", "x-after"]);
    for (const o of others) o.destroy();
    expect(parsePieces(bytewise(PIPELINE)).rec.messages).toEqual(reference.rec.messages);
  });

  test("user stop codes, finish, destroy", () => {
    const rec = new Recorder();
    rec.headersResult = -1;
    expect(new RequestParser(rec, LIMITS).execute(latin1("GET / HTTP/1.1\r\n\r\n"))).toBe(HPE.CB_HEADERS_COMPLETE);
    const p = new RequestParser(new Recorder(), LIMITS);
    expect(p.execute(latin1("GET / HTTP/1.1\r\n\r\nGET /x HT"))).toBe(0);
    expect(p.finish()).toBe(HPE.INVALID_EOF_STATE);
    const q = new RequestParser(new Recorder(), LIMITS);
    expect(q.execute(latin1("GET / HTTP/1.1\r\n\r\n"))).toBe(0);
    expect(q.finish()).toBe(0);
    q.destroy();
    q.destroy();
    expect(() => q.execute(latin1("GET / HTTP/1.1\r\n\r\n"))).toThrow(expect.objectContaining({ code: "GRK_ERR_LLHTTP_DESTROYED" }));
    // destroy() from inside its own callback waits for execute to return.
    const r = new Recorder();
    const s = new RequestParser(r, LIMITS);
    r.onComplete = () => s.destroy();
    expect(s.execute(latin1("GET / HTTP/1.1\r\n\r\n"))).toBe(0);
    expect(() => s.finish()).toThrow(expect.objectContaining({ code: "GRK_ERR_LLHTTP_DESTROYED" }));
  });
});

describe("tables match the pinned binary", () => {
  const exp = instantiateLlhttp({
    wasm_on_message_begin: () => 0, wasm_on_url: () => 0, wasm_on_status: () => 0, wasm_on_header_field: () => 0,
    wasm_on_header_value: () => 0, wasm_on_headers_complete: () => 0, wasm_on_body: () => 0,
    wasm_on_message_complete: () => 0,
  });
  const cstr = (ptr: number) => {
    const m = Buffer.from(exp.memory.buffer);
    return m.toString("latin1", ptr, m.indexOf(0, ptr));
  };

  test("errno names (llhttp_errno_name)", () => {
    for (const [k, v] of Object.entries(HPE)) expect(cstr(exp.llhttp_errno_name(v))).toBe(`HPE_${k}`);
  });

  test("method names (llhttp_method_name)", () => {
    METHOD_NAMES.forEach((name, i) => expect(cstr(exp.llhttp_method_name(i))).toBe(name));
  });
});
