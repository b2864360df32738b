// The http contract, written once and run for http and https × inline and pool mode (the shape of hono's
// runTest({ newRouter }), as proc-contract.ts): what the http hook's results and `res` become on the wire (status,
// headers, body; HEAD; 204/304 without a body; res.json), a streamed response to a slow reader, pipelining in order,
// throwing and rejecting hooks and the error hook, request bodies and their limit, keep-alive and Connection: close,
// a malformed request, and the fetch hook (fixtures/modules/fetch-app.ts) with a streamed Response, and its request
// body read as a stream in both modes (a 4 MiB upload that the hook reads before the client has sent it all, the
// limit and the body deadline passed mid-stream, a client that leaves mid-body, a hook that does not read: the
// server's reads stay bounded, and the time it holds reading is not counted against the client's body timeouts),
// and its streamed Response to a reader that does not read.
// Every case talks raw HTTP/1.1 so it sees exactly what was sent and whether the server closed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { outputGrowth, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect, untilReceived, type TestClient } from "../helpers/tcp-client.ts";
import { waitResponses } from "../helpers/http-client.ts";
import type { ParsedResponse } from "../helpers/http-messages.ts";
import { withTestCert, type TestCert } from "../helpers/tls-cert.ts";
import { RENDER_EVERY_MS } from "../../src/status/status-server.ts";

export type Scheme = "http" | "https";
export type Mode = "inline" | "pool";

const FIXTURES = resolve(import.meta.dir, "../fixtures/modules");
/** http.max_body_bytes and io.high_water of the servers under test. */
const MAX_BODY = 65_536;
const HIGH_WATER = 16_384;
const MiB = 1024 * 1024;
/** http.max_body_bytes of the second server (fetch-app only), which takes the streamed uploads. */
const MAX_UPLOAD = 4 * MiB + 64 * 1024;
/** http.body_deadline_ms of the upload server: long enough for the uploads above on a loaded machine. */
const UPLOAD_DEADLINE_MS = 5000;
/**
 * The body timeouts of the third server (fetch-app alone), whose hooks hold reading longer than both: a quarter of
 * the shorter is its housekeeping tick, so HOLD_GAP_MS (the client's own pause after the hold) spans two ticks.
 */
const HOLD_BODY_TIMEOUT_MS = 500;
const HOLD_DEADLINE_MS = 1000;
const HOLD_MS = 1200;
const HOLD_GAP_MS = 250;
/** A 4 MiB upload whose bytes are not all alike (so the hash sees order), and its SHA-256. */
const UPLOAD = Uint8Array.from({ length: 4 * MiB }, (_, i) => (i * 2654435761) >>> 24);
const UPLOAD_SHA = new Bun.CryptoHasher("sha256").update(UPLOAD).digest("hex");

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const POST = (path: string, body: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const chunked = (path: string, parts: string[]) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join("")}0\r\n\r\n`;

interface Ctx {
  /** A fresh connection to the http-hook listener (or the fetch-hook one). */
  open(which?: "http" | "fetch"): Promise<TestClient>;
  /** One connection: writes `request`, waits for `n` responses (`heads`: which answer a HEAD). */
  ask(request: string, n?: number, heads?: boolean[], which?: "http" | "fetch"): Promise<{ c: TestClient; responses: ParsedResponse[] }>;
  /** Resolves once the server closed `c` (fails the test after `ms`, 3 s by default). */
  closes(c: TestClient, ms?: number): Promise<void>;
  logs(re: RegExp): { grew(): Promise<void> };
  /** A fresh connection to the upload server (fetch-app with http.max_body_bytes = MAX_UPLOAD). */
  upload(): Promise<TestClient>;
  /** One GET to the upload server on a fresh connection: the response's text. */
  uploadGet(path: string): Promise<string>;
  /** Bytes the upload server's I/O threads have read from clients so far (its /status). */
  bytesIn(): Promise<number>;
  /** A fresh connection to the third server (fetch-app, short body timeouts: HOLD_BODY_TIMEOUT_MS, HOLD_DEADLINE_MS). */
  held(): Promise<TestClient>;
  /** One GET to the third server on a fresh connection: the response's text. */
  heldGet(path: string): Promise<string>;
}

/** The fetch-app's record of the last failure its hook's body stream saw (polled: it is set as the stream fails). */
async function lastError(get: (path: string) => Promise<string>): Promise<string> {
  let failure = "";
  for (let i = 0; i < 100 && failure === ""; i++) failure = await get("/last-error");
  return failure;
}

/** A streamed upload refused mid-body with `status`: the answer says close, the connection closes, the hook's stream failed with it. */
async function refusedMidStream(t: Ctx, c: TestClient, r: ParsedResponse, status: number): Promise<void> {
  expect(r.status).toBe(status);
  expect(r.headers.connection).toBe("close");
  await t.closes(c, 5000);
  expect(await lastError((path) => t.uploadGet(path))).toContain(String(status));
}

/**
 * POST /hold of `total` bytes to the third server: the client sends the head and `first` bytes, the hook holds reading
 * HOLD_MS (past both body timeouts), then reads; the client pauses HOLD_GAP_MS itself (within both timeouts), then
 * sends the rest. With `told`, the pause begins once the hook says it has read the `first` bytes (POST /hold?got=);
 * without, HOLD_GAP_MS after the release, and nothing is written to the client between the hold's end and the rest
 * (a write there would restart the pause between reads). Time the server held reading is not the client's: 200 with
 * every byte read. Had the hold counted, a tick in the client's pause would answer 408 (the response begun: a cut).
 */
async function holdThenRead(t: Ctx, first: number, total: number, told: boolean): Promise<void> {
  const c = await t.held();
  c.write(`POST /hold${told ? `?got=${first}` : ""} HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
  c.write(UPLOAD.subarray(0, first));
  await untilReceived(c, /held\n/, 15_000);
  await Bun.sleep(HOLD_MS);
  expect(await t.heldGet("/release")).toBe("released");
  if (told) await untilReceived(c, /got:\d+\n/, 15_000);
  await Bun.sleep(HOLD_GAP_MS);
  c.write(UPLOAD.subarray(first, total));
  const [r] = await waitResponses(c, 1, [], 30_000);
  expect(r!.status).toBe(200);
  expect(r!.text).toBe(`held\n${told ? `got:${first}\n` : ""}read:${total}\n`);
  c.end();
}

const streamedCases: Array<{ name: string; run(t: Ctx): Promise<void> }> = [
  {
    name: "the fetch hook's streamed Response to a reader that does not read: the stream is not pulled on (bounded), then every chunk arrives",
    async run(t) {
      const pulled = async () => Number((await t.ask(GET("/pulled", "Connection: close\r\n"), 1, [], "fetch")).responses[0]!.text);
      const n = 512;
      const size = 64 * 1024;
      const before = await pulled();
      const c = await t.open("fetch");
      c.pause();
      c.write(GET(`/stream?n=${n}&size=${size}`));
      await Bun.sleep(500);
      const whilePaused = (await pulled()) - before;
      // The kernel's socket buffers and the server's bounds (io.high_water; in pool mode two chunks unacknowledged
      // between the threads) hold a few MB at most, far from the 32 MiB.
      expect(whilePaused).toBeGreaterThan(0);
      expect(whilePaused).toBeLessThan(n / 2);
      await Bun.sleep(300);
      expect((await pulled()) - before).toBe(whilePaused); // nothing more while nobody reads
      c.resume();
      const [r] = await waitResponses(c, 1, [], 30_000);
      expect(r!.headers["transfer-encoding"]).toBe("chunked");
      expect(r!.body.length).toBe(n * size);
      for (let i = 0; i < n; i += 37) expect(r!.body[i * size + 5]).toBe(97 + (i % 26));
      c.end();
    },
  },
  {
    name: "the fetch hook reads a 4 MiB upload as a stream: its first chunk before the client sends the second half, then every byte (count, SHA-256)",
    async run(t) {
      const c = await t.upload();
      c.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${UPLOAD.length}\r\n\r\n`);
      c.write(UPLOAD.subarray(0, UPLOAD.length / 2));
      // The hook answers its first chunk while the client still holds the second half: a body collected whole
      // before the hook runs never gets here.
      const first = Number((await untilReceived(c, /first:(\d+)\n/, 15_000))[1]);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(UPLOAD.length / 2);
      c.write(UPLOAD.subarray(UPLOAD.length / 2));
      const [r] = await waitResponses(c, 1, [], 30_000);
      const m = /^first:(\d+)\ntotal:(\d+) chunks:(\d+) sha256:([0-9a-f]+)\n$/.exec(r!.text);
      expect(m).not.toBeNull();
      expect(Number(m![2])).toBe(UPLOAD.length);
      expect(Number(m![3])).toBeGreaterThan(1);
      expect(m![4]).toBe(UPLOAD_SHA);
      c.end();
    },
  },
  {
    name: "http.max_body_bytes passed mid-stream (chunked): 413 and close, and the hook's body stream fails with the 413",
    async run(t) {
      const c = await t.upload();
      const piece = "c".repeat(64 * 1024);
      let head = `POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`;
      // Exactly the limit in 64 KiB chunks, then 20 bytes past it (and nothing after: all the client sent is read).
      for (let sent = 0; sent < MAX_UPLOAD; sent += piece.length) {
        c.write(`${head}10000\r\n${piece}\r\n`);
        head = "";
      }
      c.write(`14\r\n${"d".repeat(20)}`);
      const [r] = await waitResponses(c, 1, [], 30_000);
      await refusedMidStream(t, c, r!, 413);
    },
  },
  {
    name: "a client that leaves mid-body: the hook's body stream fails, and the handler serves the next connection (a streamed body too)",
    async run(t) {
      const c = await t.upload();
      c.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${UPLOAD.length}\r\n\r\n`);
      c.write(UPLOAD.subarray(0, MiB));
      await untilReceived(c, /first:\d+\n/, 15_000);
      c.socket.terminate();
      expect(await lastError((path) => t.uploadGet(path))).toContain("before the request body was complete");
      const next = await t.upload();
      next.write(`POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${"e".repeat(100_000)}`);
      expect((await waitResponses(next, 1, [], 15_000))[0]!.text).toBe("count:100000");
      next.end();
    },
  },
  {
    name: "a hook that does not read its 4 MiB upload: the server stops reading (bounded by the window, not the body), then reads it all once the hook does",
    async run(t) {
      const before = await t.bytesIn();
      const c = await t.upload();
      c.write(`POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: ${UPLOAD.length}\r\n\r\n`);
      c.write(UPLOAD);
      await untilReceived(c, /held\n/, 15_000);
      await Bun.sleep(500); // longer than /status caches its figures (RENDER_EVERY_MS)
      // What the server read meanwhile: the head, the window (io.high_water) and the reads around a pause; a body
      // buffered on the I/O thread (or pushed into the ring) would be all 4 MiB.
      const held = (await t.bytesIn()) - before;
      expect(held).toBeLessThan(MiB);
      expect(await t.uploadGet("/release")).toBe("released");
      const [r] = await waitResponses(c, 1, [], 30_000);
      expect(r!.text).toBe(`held\nread:${UPLOAD.length}\n`);
      await Bun.sleep(RENDER_EVERY_MS + 50); // /status renders its figures at most this often
      expect((await t.bytesIn()) - before).toBeGreaterThan(UPLOAD.length);
      c.end();
    },
  },
  {
    name: "http.body_deadline_ms passed mid-stream: 408 and close, and the hook's body stream fails with the 408",
    async run(t) {
      const c = await t.upload();
      c.write(`POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: ${MiB}\r\n\r\n${"f".repeat(1000)}`);
      const [r] = await waitResponses(c, 1, [], UPLOAD_DEADLINE_MS + 10_000);
      await refusedMidStream(t, c, r!, 408);
    },
  },
  {
    name: "a hook that holds reading past http.body_timeout_ms and http.body_deadline_ms, the client's bytes all read: the pause and the deadline restart from the hold's end (200, every byte)",
    // One TLS record of body: all read (the stream full) before the hold, so nothing is read between its end and the pause.
    run: (t) => holdThenRead(t, HIGH_WATER, 2 * HIGH_WATER, false),
  },
  {
    name: "a client that stops sending its body while the hook streams a response: http.body_timeout_ms fires (the server's writes are not the client's bytes)",
    async run(t) {
      // The hook writes a line every 20 ms while it reads; the client sends 1000 of 1 MiB, reads, and sends no more.
      // The pause between reads (HOLD_BODY_TIMEOUT_MS) must end the request before the whole body's deadline
      // (HOLD_DEADLINE_MS, twice as long); had the server's own writes counted as the client's, only the deadline would.
      const c = await t.held();
      c.write(`POST /drip HTTP/1.1\r\nHost: x\r\nContent-Length: ${MiB}\r\n\r\n${"d".repeat(1000)}`);
      await untilReceived(c, /drip\n/, 15_000); // the response has begun: the refusal can only be a cut
      await t.closes(c, 15_000);
      const failure = await lastError((path) => t.heldGet(path));
      expect(failure).toContain("408");
      expect(failure).toContain("request body not received in time");
    },
  },
  {
    name: "a hook that holds a 4 MiB upload unread past http.body_deadline_ms, then reads it: the time held is not the client's (200, every byte)",
    run: (t) => holdThenRead(t, UPLOAD.length - 1000, UPLOAD.length, true),
  },
];

const CASES: Array<{ name: string; run(t: Ctx): Promise<void> }> = [
  {
    name: "status, headers and body: a returned string, bytes, res.status().header().send(), a 404",
    async run(t) {
      const { c, responses: [s, b, made, missing] } = await t.ask(GET("/hello") + GET("/bytes") + GET("/made") + GET("/nowhere"), 4);
      expect(s).toMatchObject({ status: 200, text: "hello" });
      expect(s!.headers).toMatchObject({ "content-type": "text/plain; charset=utf-8", "content-length": "5", server: "grocketd" });
      expect(s!.headers.date).toMatch(/GMT$/);
      expect(b!.headers["content-type"]).toBe("application/octet-stream");
      expect([...b!.body]).toEqual([1, 2, 3]);
      expect(made).toMatchObject({ status: 201, text: "made" });
      expect(made!.headers["x-made"]).toBe("yes");
      expect(missing).toMatchObject({ status: 404, text: "not here" });
      c.end();
    },
  },
  {
    name: "HEAD: the GET's status and Content-Length, no body (the next pipelined response follows at once)",
    async run(t) {
      const { c, responses: [head, next] } = await t.ask(`HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n` + GET("/hello"), 2, [true, false]);
      expect(head).toMatchObject({ status: 200, text: "" });
      expect(head!.headers["content-length"]).toBe("5");
      expect(next).toMatchObject({ status: 200, text: "hello" });
      c.end();
    },
  },
  {
    name: "204 and 304 go out without a body and without chunked framing",
    async run(t) {
      const { c, responses } = await t.ask(GET("/204") + GET("/304") + GET("/hello"), 3);
      expect(responses.map((r) => r.status)).toEqual([204, 304, 200]);
      for (const r of responses.slice(0, 2)) {
        expect(r.body.length).toBe(0);
        expect(r.headers["transfer-encoding"]).toBeUndefined();
      }
      expect(responses[2]!.text).toBe("hello"); // nothing stray between them
      c.end();
    },
  },
  {
    name: "res.json: application/json with the serialized value",
    async run(t) {
      const { c, responses: [r] } = await t.ask(GET("/json"));
      expect(r!.headers["content-type"]).toStartWith("application/json");
      expect(JSON.parse(r!.text)).toEqual({ ok: true, path: "/json", n: [1, 2] });
      c.end();
    },
  },
  {
    name: "a streamed response to a slow reader: write() asks to wait past high water, every chunk arrives in order once the reader reads",
    async run(t) {
      // 8 MiB: more than the kernel's socket buffers take from a reader that does not read (tcp_wmem/rmem here).
      const n = 128;
      const size = 65_536;
      const c = await t.open();
      c.pause(); // a reader that does not read yet: the server's queue must fill and hold
      c.write(GET(`/stream?n=${n}&size=${size}`) + GET("/hello"));
      await Bun.sleep(300);
      c.resume();
      const [r, next] = await waitResponses(c, 2, [], 10_000);
      expect(r!.headers["transfer-encoding"]).toBe("chunked");
      const got = r!.text.split("\n").slice(0, -1);
      expect(got.length).toBe(n + 1);
      got.slice(0, n).forEach((l, i) => {
        if (l.length !== size - 1 || !l.startsWith(String(i).padStart(6, "0"))) throw new Error(`chunk ${i} is ${JSON.stringify(l.slice(0, 20))}`);
      });
      expect(got[n]).toBe("waits some"); // 8 MiB against a 16 KiB high-water mark
      expect(next!.text).toBe("hello");
      c.end();
    },
  },
  {
    name: "pipelined requests with async answers finishing out of order are answered in request order",
    async run(t) {
      const delays = [30, 0, 25, 5, 20, 10, 15, 1, 12, 3];
      const { c, responses } = await t.ask(delays.map((ms, id) => GET(`/sleep?ms=${ms}&id=${id}`)).join(""), delays.length);
      expect(responses.map((r) => r.text)).toEqual(delays.map((_, id) => `id ${id}`));
      c.end();
    },
  },
  {
    name: "a throwing and a rejecting hook: logged, 500 for that request only, the next request on the connection is served",
    async run(t) {
      const thrown = t.logs(/http hook failed[^\n]*module=http-contract[^\n]*http threw on purpose/);
      const rejected = t.logs(/http hook failed[^\n]*module=http-contract[^\n]*http rejected on purpose/);
      const { c, responses } = await t.ask(GET("/throw") + GET("/hello") + GET("/reject") + GET("/hello"), 4);
      expect(responses.map((r) => r.status)).toEqual([500, 200, 500, 200]);
      expect(responses[1]!.text).toBe("hello");
      expect(c.isClosed()).toBe(false);
      await thrown.grew();
      await rejected.grew();
      c.end();
    },
  },
  {
    name: "the error hook shapes the 500: a Response (any status, its headers), a body sent as 500, or the plain 500 when it throws too",
    async run(t) {
      const { c, responses: [r, body, plain, next] } = await t.ask(GET("/shaped") + GET("/shaped-body") + GET("/shaped-throw") + GET("/hello"), 4);
      expect(r).toMatchObject({ status: 502, text: "shaped: failed at /shaped" });
      expect(r!.headers["x-shaped"]).toBe("1");
      expect(body).toMatchObject({ status: 500, text: "body: failed at /shaped-body" });
      expect(plain!.status).toBe(500);
      expect(plain!.text).not.toContain("failed at");
      expect(next!.text).toBe("hello");
      c.end();
    },
  },
  {
    name: "request bodies: Content-Length and chunked reach the hook whole; over http.max_body_bytes → 413 and close",
    async run(t) {
      const body = "é".repeat(3000); // 6000 bytes
      const { c, responses: [a, b] } = await t.ask(POST("/echo", body) + chunked("/echo", ["abc", "", "de", "é"].filter(Boolean)), 2);
      expect(a!.text).toBe(`POST 6000 ${body}`);
      expect(b!.text).toBe("POST 7 abcdeé");
      c.end();
      const big = await t.ask(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`);
      expect(big.responses[0]!.status).toBe(413);
      await t.closes(big.c);
      const parts = Array.from({ length: 5 }, () => "z".repeat(MAX_BODY / 4));
      const over = await t.ask(chunked("/echo", parts));
      expect(over.responses[0]!.status).toBe(413);
      await t.closes(over.c);
    },
  },
  {
    name: "keep-alive by default (HTTP/1.1), Connection: close and HTTP/1.0 answer and close",
    async run(t) {
      const { c, responses } = await t.ask(GET("/hello") + GET("/hello"), 2);
      expect(responses[0]!.headers.connection).not.toBe("close");
      c.write(GET("/hello"));
      expect((await waitResponses(c, 3))[2]!.text).toBe("hello"); // the same connection, a later write
      expect(c.isClosed()).toBe(false);
      c.end();
      const closing = await t.ask(GET("/hello", "Connection: close\r\n"));
      expect(closing.responses[0]!.headers.connection).toBe("close");
      expect(closing.responses[0]!.text).toBe("hello");
      await t.closes(closing.c);
      const old = await t.ask("GET /hello HTTP/1.0\r\n\r\n");
      expect(old.responses[0]!.text).toBe("hello");
      await t.closes(old.c);
    },
  },
  {
    name: "a malformed request → 400 and a clean close; the answers owed before it still go out",
    async run(t) {
      const { c, responses } = await t.ask(GET("/hello") + "GET /x HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 2);
      expect(responses.map((r) => r.status)).toEqual([200, 400]);
      expect(responses[1]!.headers.connection).toBe("close");
      await t.closes(c);
    },
  },
  {
    name: "the fetch hook: a Request in, a Response out (status, headers, body), the request body, a streamed Response",
    async run(t) {
      const { c, responses: [hello, echo, streamed, shaped] } = await t.ask(
        GET("/hello") + `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/x-t\r\nContent-Length: 5\r\n\r\nabcde` + GET("/stream?n=5&size=3") + GET("/throw"),
        4,
        [],
        "fetch",
      );
      expect(hello).toMatchObject({ status: 200, text: "hello fetch" });
      expect(hello!.headers["x-test"]).toBe("yes");
      expect(echo).toMatchObject({ status: 201, text: "abcde" });
      expect(echo!.headers["content-type"]).toBe("text/x-t");
      expect(streamed!.headers["transfer-encoding"]).toBe("chunked");
      expect(streamed!.text).toBe("aaabbbcccdddeee");
      expect(shaped).toMatchObject({ status: 503, text: "shaped: thrown on purpose" });
      c.end();
    },
  },
];

/** Runs the http contract for one scheme in one mode (one I/O thread; in pool mode, one handler thread). */
export function runHttpContract(opts: { scheme: Scheme; mode: Mode }): void {
  const { scheme, mode } = opts;
  let running: Running | undefined;
  /** The second server: fetch-app alone, with room for 4 MiB uploads (and in pool mode rings that fit one whole). */
  let uploads: Running | undefined;
  /** The third server: fetch-app alone, with short body timeouts (HOLD_BODY_TIMEOUT_MS, HOLD_DEADLINE_MS). */
  let holds: Running | undefined;
  let cert: TestCert | undefined;
  let skip = "";
  const open = (which: "http" | "fetch" = "http") => connect(running!.ports[which === "http" ? 0 : 1]!, "127.0.0.1", { tls: scheme === "https" });
  const ctx: Ctx = {
    open,
    async ask(request, n = 1, heads = [], which = "http") {
      const c = await open(which);
      c.write(request);
      return { c, responses: await waitResponses(c, n, heads) };
    },
    async closes(c, ms = 3000) {
      const closed = await Promise.race([c.closed.then(() => true), Bun.sleep(ms).then(() => false)]);
      expect(closed).toBe(true);
    },
    logs: (re) => outputGrowth(running!, re),
    upload: () => connect(uploads!.ports[0]!, "127.0.0.1", { tls: scheme === "https" }),
    async uploadGet(path) {
      const c = await ctx.upload();
      c.write(GET(path, "Connection: close\r\n"));
      const [r] = await waitResponses(c, 1, [], 10_000);
      return r!.text;
    },
    held: () => connect(holds!.ports[0]!, "127.0.0.1", { tls: scheme === "https" }),
    async heldGet(path) {
      const c = await ctx.held();
      c.write(GET(path, "Connection: close\r\n"));
      const [r] = await waitResponses(c, 1, [], 10_000);
      return r!.text;
    },
    async bytesIn() {
      const url = (await uploads!.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
      return ((await (await fetch(`${url}/status`)).json()) as { bytes: { in: number } }).bytes.in;
    },
  };

  describe(`http contract: ${scheme}, ${mode}`, () => {
    beforeAll(async () => {
      const env: Record<string, string> = {
        GROCKETD_HTTP_MAX_BODY_BYTES: String(MAX_BODY),
        GROCKETD_IO_HIGH_WATER: String(HIGH_WATER),
        ...(mode === "pool" ? { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" } : {}),
      };
      if (scheme === "https") {
        const made = withTestCert(env);
        if ("skip" in made) return void (skip = made.skip);
        cert = made;
      }
      const listen = (m: string) => ["--listen", `${scheme}://127.0.0.1:0?module=${m}`];
      const args = ["--module", `${FIXTURES}/http-contract.ts`, "--module", `${FIXTURES}/fetch-app.ts`, ...listen("http-contract"), ...listen("fetch-app"), "--threads", "1"];
      const upEnv: Record<string, string> = {
        ...env,
        GROCKETD_HTTP_MAX_BODY_BYTES: String(MAX_UPLOAD),
        GROCKETD_HTTP_BODY_DEADLINE_MS: String(UPLOAD_DEADLINE_MS),
        GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0",
        ...(mode === "pool" ? { GROCKETD_WORKER_RING_BYTES: String(8 * MiB) } : {}),
      };
      const upArgs = ["--module", `${FIXTURES}/fetch-app.ts`, ...listen("fetch-app"), "--threads", "1"];
      const holdEnv: Record<string, string> = {
        ...env,
        GROCKETD_HTTP_MAX_BODY_BYTES: String(MAX_UPLOAD),
        GROCKETD_HTTP_BODY_TIMEOUT_MS: String(HOLD_BODY_TIMEOUT_MS),
        GROCKETD_HTTP_BODY_DEADLINE_MS: String(HOLD_DEADLINE_MS),
        ...(mode === "pool" ? { GROCKETD_WORKER_RING_BYTES: String(8 * MiB) } : {}),
      };
      [running, uploads, holds] = await Promise.all([
        startGrocketd(args, { env, expectListening: 2 }),
        startGrocketd(upArgs, { env: upEnv, expectListening: 1 }),
        startGrocketd(upArgs, { env: holdEnv, expectListening: 1 }),
      ]);
    });
    afterAll(async () => {
      await running?.stop("SIGKILL");
      await uploads?.stop("SIGKILL");
      await holds?.stop("SIGKILL");
      cert?.cleanup();
    });
    for (const c of [...CASES, ...streamedCases]) test(c.name, async () => (skip ? console.warn(`skipped: ${skip}`) : c.run(ctx)));
  });
}
