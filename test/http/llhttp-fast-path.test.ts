// Differential test of the JavaScript fast scan (src/http/llhttp/fast-path.ts) against llhttp alone: on random and
// mutated pipelines, whole and split at random points, a parser with the fast path must report exactly what a parser
// without it reports — every field of every message, the body bytes, keep-alive, and the final result and error.
import { describe, expect, test } from "bun:test";
import { RequestParser, type ParserEvents } from "../../src/http/llhttp/parser.ts";
import { prng } from "../fixtures/length-prefixed.ts";

interface Message {
  method: string;
  url: string;
  version: string;
  keepAlive: boolean;
  headers: Array<[string, string]>;
  contentLength: number;
  chunked: boolean;
  body: number[];
}

let fastCount = 0;

function run(input: Uint8Array, cuts: number[], fastPath: boolean) {
  const messages: Message[] = [];
  let body: number[] = [];
  const events: ParserEvents = {
    onHeadersComplete: () => 0,
    onBody(_p, buf, s, e) {
      for (let i = s; i < e; i++) body.push(buf[i]!);
      return 0;
    },
    onMessageComplete(p) {
      const headers: Array<[string, string]> = [];
      for (let i = 0; i < p.headerCount; i++) headers.push([p.headerName(i), p.headerValue(i)]);
      messages.push({
        method: p.methodName(),
        url: p.url(),
        version: `${p.versionMajor}.${p.versionMinor}`,
        keepAlive: p.keepAlive,
        headers,
        contentLength: p.contentLength,
        chunked: p.chunked,
        body,
      });
      body = [];
      return 0;
    },
  };
  const parser = new RequestParser(events, { maxHeadBytes: 2048, maxHeaders: 8, maxUrlBytes: 256, fastPath });
  let rc = 0;
  let prev = 0;
  for (const cut of [...cuts, input.length]) {
    rc = parser.execute(input.subarray(prev, cut));
    prev = cut;
    if (rc !== 0) break;
  }
  const out = { messages, rc, error: rc === 0 ? "" : parser.errorName() };
  fastCount += parser.fastMessages;
  parser.destroy();
  return out;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function randomRequest(r: () => number): string {
  const method = r() < 0.7 ? pick(r, ["GET", "HEAD", "DELETE", "OPTIONS"]) : pick(r, ["POST", "PUT", "get", "CONNECT", "FROB"]);
  const chars = "abcXYZ019-._~:/?#[]@!$&'()*+,;=%";
  const odd = ['"', "<", "{", "|", " ", "\x7f", "\x80", "\t", "^", "`", "\\"];
  let target = r() < 0.85 ? "/" : pick(r, ["*", "http://h/x", "x"]);
  const n = Math.floor(r() * 20);
  for (let i = 0; i < n; i++) target += r() < 0.04 ? pick(r, odd) : chars[Math.floor(r() * chars.length)];
  const version = r() < 0.85 ? pick(r, ["HTTP/1.1", "HTTP/1.1", "HTTP/1.0"]) : pick(r, ["HTTP/1.2", "HTTP/2.0", "http/1.1"]);
  const eol = () => (r() < 0.01 ? "\n" : "\r\n");
  let head = `${method}${r() < 0.03 ? "  " : " "}${target} ${version}${eol()}`;
  const count = Math.floor(r() * 7);
  let body = "";
  for (let i = 0; i < count; i++) {
    const normal = r() < 0.9;
    const name = normal
      ? pick(r, ["Host", "host", "X-A", "Accept", "User-Agent"])
      : pick(r, ["Connection", "connection", "Content-Length", "Transfer-Encoding", "Upgrade", "Expect", "Proxy-Connection", "Bad Name", "X_y", ""]);
    let value = normal && r() < 0.8
      ? pick(r, ["h", "text/html, */*;q=0.8", "Mozilla/5.0 (X11)", "a=b; c=d"])
      : pick(r, ["h", "close", "keep-alive", "Keep-Alive", "upgrade", "close, keep-alive", "chunked", "5", "0", "", "  spaced  ", "a\x80b", "a\x00b", "100-continue"]);
    if (name === "Content-Length" && r() < 0.5) {
      body = "hello";
      value = "5";
    }
    head += `${name}:${r() < 0.2 ? "" : " "}${value}${r() < 0.05 ? " " : ""}${eol()}`;
    if (r() < 0.02) head += " folded\r\n";
  }
  return head + eol() + (r() < 0.7 ? body : "");
}

function mutate(r: () => number, s: string): string {
  const b = [...s];
  const k = Math.floor(r() * 3);
  for (let i = 0; i < k; i++) {
    const at = Math.floor(r() * (b.length + 1));
    const op = r();
    if (op < 0.4) b[at] = String.fromCharCode(Math.floor(r() * 256));
    else if (op < 0.7) b.splice(at, 1);
    else b.splice(at, 0, pick(r, ["\r", "\n", " ", ":", "\r\n", "\x00"]));
  }
  return b.join("");
}

describe("llhttp fast path", () => {
  test("identical to llhttp on 6000 random and mutated pipelines, whole and split", () => {
    const r = prng(20261126);
    let fastHits = 0;
    for (let iter = 0; iter < 6000; iter++) {
      let text = "";
      const k = 1 + Math.floor(r() * 3);
      for (let i = 0; i < k; i++) text += randomRequest(r);
      if (r() < 0.3) text = mutate(r, text);
      const input = Buffer.from(text, "latin1");
      const cuts = r() < 0.5 ? [] : [Math.floor(r() * input.length), Math.floor(r() * input.length)].sort((a, b) => a - b);
      const slow = run(input, cuts, false);
      const fast = run(input, cuts, true);
      if (JSON.stringify(fast) !== JSON.stringify(slow)) {
        throw new Error(`fast path differs on ${JSON.stringify(text)} cuts ${cuts}:\n fast ${JSON.stringify(fast)}\n slow ${JSON.stringify(slow)}`);
      }
      fastHits += slow.messages.length;
    }
    // The generator produces plenty of valid messages, and many take the fast path.
    expect(fastHits).toBeGreaterThan(2000);
    expect(fastCount).toBeGreaterThan(300);
  });

  test("every byte value at every position of a field value, at every alignment: as llhttp (the word-wise value scan)", () => {
    // The value scan takes four bytes at a time on aligned words: each byte value in each lane of a word, the
    // values starting at each of the four alignments, must be accepted or refused exactly as llhttp does.
    const before = fastCount;
    for (let lead = 0; lead < 4; lead++) {
      for (let at = 0; at < 12; at++) {
        for (let c = 0; c < 256; c++) {
          const value = Buffer.alloc(12, 0x61);
          value[at] = c;
          const head = Buffer.from(`GET / HTTP/1.1\r\nHost: h\r\nX${"y".repeat(lead)}: `, "latin1");
          const input = Buffer.concat([head, value, Buffer.from("\r\n\r\nGET /n HTTP/1.1\r\nHost: h\r\n\r\n", "latin1")]);
          const slow = run(input, [], false);
          const fast = run(input, [], true);
          if (JSON.stringify(fast) !== JSON.stringify(slow)) throw new Error(`differs for byte ${c} at ${at}, lead ${lead}:\n fast ${JSON.stringify(fast)}\n slow ${JSON.stringify(slow)}`);
        }
      }
    }
    expect(fastCount - before).toBeGreaterThan(4 * 12 * 90);
  });

  test("wrk's request goes through the fast path; a request with a body does not, and both parse", () => {
    const input = Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /q HTTP/1.1\r\nHost: a\r\n\r\n", "latin1");
    expect(run(input, [], true)).toEqual(run(input, [], false));
    expect(run(input, [], true).messages.map((m) => m.url)).toEqual(["/", "/p", "/q"]);
  });
});
