/**
 * @module http/llhttp/fast-path
 * A JavaScript scan for the simplest and most common request shape, tried before llhttp when the parser is between
 * messages: GET, HEAD, DELETE or OPTIONS; an origin-form target of RFC 3986 characters; HTTP/1.1 or HTTP/1.0; header
 * fields of token names and visible-ASCII values; CRLF line ends; no Content-Length, Transfer-Encoding, Upgrade or
 * Proxy-Connection field, at most one Connection field, exactly "keep-alive" or "close"; and a connection that stays
 * open after it (the last request of a connection goes to llhttp, which then refuses data after it). Such a request has no body
 * (RFC 9112 §6.3: no Content-Length and no Transfer-Encoding means length 0), so it ends at its empty line.
 *
 * Anything outside that strict subset — or incomplete, or over a limit — makes the scan decline and llhttp parse
 * the request as usual. Because the subset is a strict subset of what llhttp accepts, the two parsers cannot
 * disagree about where a message ends (no smuggling window); test/http/llhttp-fast-path.test.ts checks the results
 * are identical on random and mutated inputs, whole and split.
 *
 * Why: llhttp's state machine plus its ~10 calls into JavaScript cost 0.3–0.5 µs per request, a large share of a
 * pipelined request's total; this scan costs a fraction of that for the requests that dominate real traffic.
 */
import { LOWER } from "./header-names.ts";

/**
 * What a successful scan found (offsets into the scanned buffer). The parser passes itself (parser.ts): the fields
 * are its own, written only when the scan succeeds, so a request costs no copy from a result object.
 */
export interface FastHead {
  method: number;
  versionMinor: number;
  keepAlive: boolean;
  urlFrom: number;
  urlTo: number;
  headerCount: number;
  /** Host fields seen, and the index of the first Expect field (-1): the server checks both on every request. */
  fastHosts: number;
  fastExpect: number;
  /** The target has a "%": only then can it hold an encoded NUL, CR or LF (head-check.ts). */
  fastPct: boolean;
}

const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;
/** RFC 3986 unreserved, reserved (1) and "%" (2): the characters a well-formed origin-form target is made of. */
const URICHAR = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=") URICHAR[c.charCodeAt(0)] = 1;
URICHAR[0x25] = 2;
/** Field value bytes accepted here: VCHAR, SP, HTAB (obs-text is left to llhttp). */
const VCHAR = new Uint8Array(256);
for (let i = 0x20; i <= 0x7e; i++) VCHAR[i] = 1;
VCHAR[0x09] = 1;

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

// llhttp method numbers (constants.ts: DELETE 0, GET 1, HEAD 2, OPTIONS 6).
const M_DELETE = 0;
const M_GET = 1;
const M_HEAD = 2;
const M_OPTIONS = 6;

/** Case-insensitive compare of b[s..e) with a lower-case ASCII name. */
function is(b: Uint8Array, s: number, e: number, name: string): boolean {
  if (e - s !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (LOWER[b[s + i]!] !== name.charCodeAt(i)) return false;
  return true;
}

function method(b: Uint8Array, p: number, end: number): number {
  // "GET " / "HEAD " / "DELETE " / "OPTIONS ", case-sensitive (RFC 9110 §9.1).
  const c = b[p];
  if (c === 0x47 && p + 4 <= end && b[p + 1] === 0x45 && b[p + 2] === 0x54 && b[p + 3] === SP) return M_GET;
  if (c === 0x48 && p + 5 <= end && b[p + 1] === 0x45 && b[p + 2] === 0x41 && b[p + 3] === 0x44 && b[p + 4] === SP) return M_HEAD;
  if (c === 0x44 && p + 7 <= end && b[p + 1] === 0x45 && b[p + 2] === 0x4c && b[p + 3] === 0x45 && b[p + 4] === 0x54 && b[p + 5] === 0x45 && b[p + 6] === SP) return M_DELETE;
  if (c === 0x4f && p + 8 <= end && b[p + 1] === 0x50 && b[p + 2] === 0x54 && b[p + 3] === 0x49 && b[p + 4] === 0x4f && b[p + 5] === 0x4e && b[p + 6] === 0x53 && b[p + 7] === SP) return M_OPTIONS;
  return -1;
}

const METHOD_LEN = [7, 4, 5, 0, 0, 0, 8];

/**
 * Scans one request at b[p..end) (`w`: the same memory as 32-bit words). Returns the offset just past its empty line
 * and fills `out` and `headerSpans` ([nameStart, nameEnd, valueStart, valueEnd] per field, like the binding's own
 * records), or -1 to decline.
 */
export function fastScan(b: Uint8Array, w: Uint32Array, p: number, end: number, maxHead: number, maxUrl: number, maxHeaders: number, headerSpans: Int32Array, out: FastHead): number {
  const start = p;
  const m = method(b, p, end);
  if (m < 0) return -1;
  p += METHOD_LEN[m]!;
  if (b[p] !== 0x2f /* / */) return -1;
  const urlFrom = p;
  let uri = 0;
  for (let k: number; p < end && (k = URICHAR[b[p]!]!) !== 0; p++) uri |= k;
  const urlTo = p;
  if (urlTo - urlFrom > maxUrl || p + 10 > end || b[p] !== SP) return -1;
  // "HTTP/1.1\r\n" or "HTTP/1.0\r\n"
  if (b[p + 1] !== 0x48 || b[p + 2] !== 0x54 || b[p + 3] !== 0x54 || b[p + 4] !== 0x50 || b[p + 5] !== 0x2f || b[p + 6] !== 0x31 || b[p + 7] !== 0x2e) return -1;
  const minor = b[p + 8]! - 0x30;
  if ((minor !== 0 && minor !== 1) || b[p + 9] !== CR || b[p + 10] !== LF) return -1;
  p += 11;
  let count = 0;
  let keepAlive = minor === 1;
  let connection = false;
  let hosts = 0;
  let expect = -1;
  for (;;) {
    if (p + 1 >= end) return -1;
    if (b[p] === CR) {
      if (b[p + 1] !== LF) return -1;
      p += 2;
      break;
    }
    const ns = p;
    while (p < end && TCHAR[b[p]!] === 1) p++;
    const ne = p;
    if (ne === ns || p >= end || b[p] !== COLON) return -1;
    p++;
    while (p < end && (b[p] === SP || b[p] === 0x09)) p++;
    const vs = p;
    // The value's bytes (VCHAR, SP, HTAB): four at a time through `w` (the same memory as aligned 32-bit words)
    // while all four are SP..0x7e — no byte below 0x20 (the borrow test, which never misses one), none with the top
    // bit, no 0x7f — and byte by byte through VCHAR before the first aligned word, after the last, and from any HTAB
    // on. Inline here: as a function of its own the call cost more than the words saved on a short value.
    if ((p & 3) !== 0) while (p < end && (p & 3) !== 0 && VCHAR[b[p]!] === 1) p++;
    if ((p & 3) === 0) {
      for (; p + 4 <= end; p += 4) {
        const x = w[p >> 2]!;
        if ((x & 0x80808080) !== 0 || ((((x - 0x20202020) & ~x) | (x + 0x01010101)) & 0x80808080) !== 0) break;
      }
    }
    while (p < end && VCHAR[b[p]!] === 1) p++;
    const ve = p;
    if (p + 1 >= end || b[p] !== CR || b[p + 1] !== LF) return -1;
    p += 2;
    // A full `headerSpans` (it grows in the llhttp path only) leaves this head to llhttp as well.
    if (count === maxHeaders || count * 4 === headerSpans.length || p - start > maxHead) return -1;
    // Framing and connection fields are llhttp's to interpret (RFC 9112 §6, §9.6).
    const n = ne - ns;
    // Host is in every request: compared inline (a letter OR 0x20 is its lower case; among token bytes only "H" and
    // "h" give "h", and so on), not through `is` and its table.
    if (n === 4 && (b[ns]! | 0x20) === 0x68 && (b[ns + 1]! | 0x20) === 0x6f && (b[ns + 2]! | 0x20) === 0x73 && (b[ns + 3]! | 0x20) === 0x74) hosts++;
    else if (n === 6 && expect < 0 && is(b, ns, ne, "expect")) expect = count;
    if (n === 14 && is(b, ns, ne, "content-length")) return -1;
    if (n === 17 && is(b, ns, ne, "transfer-encoding")) return -1;
    if (n === 7 && is(b, ns, ne, "upgrade")) return -1;
    if (n === 16 && is(b, ns, ne, "proxy-connection")) return -1;
    if (n === 10 && is(b, ns, ne, "connection")) {
      // Several Connection fields combine in llhttp (close wins); leave that to it.
      if (connection) return -1;
      connection = true;
      let e = ve;
      while (e > vs && (b[e - 1] === SP || b[e - 1] === 0x09)) e--;
      if (is(b, vs, e, "close")) keepAlive = false;
      else if (is(b, vs, e, "keep-alive")) keepAlive = true;
      else return -1;
    }
    const i = count++ * 4;
    headerSpans[i] = ns;
    headerSpans[i + 1] = ne;
    headerSpans[i + 2] = vs;
    headerSpans[i + 3] = ve;
  }
  if (p - start > maxHead) return -1;
  // The last request of a connection: llhttp then refuses data after it (HPE_CLOSED_CONNECTION); let it see this one.
  if (!keepAlive) return -1;
  out.method = m;
  out.versionMinor = minor;
  out.keepAlive = keepAlive;
  out.urlFrom = urlFrom;
  out.urlTo = urlTo;
  out.headerCount = count;
  out.fastHosts = hosts;
  out.fastExpect = expect;
  out.fastPct = uri > 1;
  return p;
}
