/**
 * @module http/head-check
 * What llhttp leaves to the server once a request head is parsed: the version, Host, transfer codings, the body limit,
 * Expect, and encoded NUL/CR/LF in the path. A pure function of the parsed head: it returns the status to refuse the request with, EXPECT_CONTINUE
 * when the client waits for "100 Continue" before its body, or 0 to go on.
 */
import type { RejectStatus } from "./http-errors.ts";
import type { RequestParser } from "./llhttp/parser.ts";

/** The client asked for "100 Continue" before it sends the body (RFC 9110 §10.1.1). */
export const EXPECT_CONTINUE = 100;

/** Fields checked on every request, located in one pass. */
const CHECKED_FIELDS = ["host", "transfer-encoding", "expect"] as const;
const F_HOST = 0;
const F_TE = 1;
const F_EXPECT = 2;
const FIRST = new Int32Array(CHECKED_FIELDS.length);
const COUNT = new Int32Array(CHECKED_FIELDS.length);

export function checkHead(p: RequestParser, maxBodyBytes: number): RejectStatus | typeof EXPECT_CONTINUE | 0 {
  if (p.fast) return checkFastHead(p);
  // RFC 9110 §2.5 / §15.6.6: only HTTP/1.x is served here; llhttp accepts "HTTP/2.0" on a request line.
  if (p.versionMajor !== 1) return 505;
  if (encodedControlInPath(p)) return 400;
  p.locate(CHECKED_FIELDS, FIRST, COUNT);
  // RFC 9112 §3.2: a client MUST send Host in HTTP/1.1; a server MUST answer 400 if it is missing or repeated.
  const hosts = COUNT[F_HOST]!;
  if (hosts > 1 || (hosts === 0 && p.versionMinor >= 1)) return 400;
  if (COUNT[F_TE]! > 0) {
    // RFC 9112 §6.1: a transfer coding the server does not understand → 501 (llhttp only knows chunked) ...
    if (!onlyChunked(p)) return 501;
    // ... and chunked in an HTTP/1.0 request is faulty framing: answer 400 and close.
    if (p.versionMinor === 0) return 400;
  }
  if (p.contentLength > maxBodyBytes) return 413;
  return FIRST[F_EXPECT]! >= 0 ? checkExpect(p, FIRST[F_EXPECT]!) : 0;
}

/**
 * The same checks for a head the fast scan took (llhttp/fast-path.ts): HTTP/1.0 or 1.1, no body and no
 * Transfer-Encoding by construction, Host fields counted and the first Expect found by the scan, and the target
 * scanned for an encoded control byte only when it has a "%".
 */
function checkFastHead(p: RequestParser): RejectStatus | typeof EXPECT_CONTINUE | 0 {
  if (p.fastPct && encodedControlInPath(p)) return 400;
  const hosts = p.fastHosts;
  if (hosts > 1 || (hosts === 0 && p.versionMinor >= 1)) return 400;
  return p.fastExpect >= 0 ? checkExpect(p, p.fastExpect) : 0;
}

/** RFC 9110 §10.1.1: answer 100 before the body, or 417 for expectations we do not know. */
function checkExpect(p: RequestParser, i: number): RejectStatus | typeof EXPECT_CONTINUE | 0 {
  if (p.headerValue(i).toLowerCase() !== "100-continue") return 417;
  return p.versionMinor >= 1 ? EXPECT_CONTINUE : 0;
}

/**
 * "%00", "%0D" or "%0A" in the path of the target. llhttp refuses these bytes raw (RFC 9112 §3.2: the target is
 * made of URI characters), but req.path is decoded, so encoded they would reach a module as NUL (truncating a file
 * name in a C library) or CR/LF (splitting a header or log line it is copied into). No path needs them (RFC 3986 §7.3
 * warns of exactly these). Refused as a bad request (RFC 9110 §15.5.1). The query is the module's to read raw.
 */
function encodedControlInPath(p: RequestParser): boolean {
  const b = p.bytes();
  const end = p.urlEnd() - 2;
  for (let i = p.urlStart(); i < end; i++) {
    const c = b[i]!;
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) return false;
    if (c !== 0x25 /* % */ || b[i + 1] !== 0x30 /* 0 */) continue;
    const d = b[i + 2]! | 0x20; // lower case
    if (d === 0x30 /* 0 */ || d === 0x61 /* a */ || d === 0x64 /* d */) return true;
  }
  return false;
}

function onlyChunked(p: RequestParser): boolean {
  for (let i = p.headerIndex("transfer-encoding"); i >= 0; i = p.headerIndex("transfer-encoding", i + 1)) {
    for (const coding of p.headerValue(i).split(",")) {
      const c = coding.trim().toLowerCase();
      if (c !== "chunked" && c !== "") return false;
    }
  }
  return true;
}
