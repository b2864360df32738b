/**
 * @module http/llhttp/parsed-head
 * The read side of the binding: a request head recorded as byte offsets (URL and header name/value spans) into
 * one buffer, decoded only when asked. `RequestParser` (parser.ts) extends it and fills the offsets from llhttp's
 * callbacks; the server layer only reads. Strings are latin1 (Buffer#latin1Slice): field values are octets, and
 * RFC 9110 §5.5 treats non-ASCII as opaque data, so no UTF-8 decoding here.
 */
import { METHOD_NAMES } from "./constants.ts";
import { internedName, nameEquals } from "./header-names.ts";

/** Header slots a parser starts with (growHeaders() adds more up to http.max_headers). */
const INITIAL_HEADERS = 16;

/** Bun/Node Buffer with the untyped native latin1 decoder (one C++ call, no TextDecoder). */
export interface LatinBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

const EMPTY = Buffer.alloc(0) as LatinBuffer;
/** The one empty head the request objects of idle connections share (takeHead). */
let emptyHead: ParsedHead | undefined;

/** Message phase as seen by the callbacks. */
export const Phase = { Idle: 0, Head: 1, Body: 2 } as const;

export class ParsedHead {
  /** llhttp method enum (see `Method`, `METHOD_NAMES`). Read-only for users. */
  method = 0;
  versionMajor = 0;
  versionMinor = 0;
  /** llhttp's should_keep_alive (RFC 9112 §9.3); note llhttp 9.3.0 reads `Connection: close\t` as keep-alive. */
  keepAlive = false;
  /** Upgrade header with Connection: upgrade, or CONNECT (execute then returns PausedUpgrade). */
  upgrade = false;
  /** Declared Content-Length, or -1 when the request has none. */
  contentLength = -1;
  /** Transfer-Encoding ends in chunked (llhttp rejects a request TE that does not, RFC 9112 §6.3). */
  chunked = false;
  /** Number of header fields of the current request (trailers are not recorded). */
  headerCount = 0;
  /** The request came through the fast scan, which also counted its Host fields and found its Expect field. */
  fast = false;
  fastHosts = 0;
  fastExpect = -1;
  /** Its target has a "%" (only then is it scanned for an encoded NUL, CR or LF: head-check.ts). */
  fastPct = false;

  /** The buffer the offsets index: WASM memory while live, `own` after detachHead(). */
  protected buf: LatinBuffer = EMPTY;
  protected own: LatinBuffer = EMPTY;
  protected detached = false;
  protected phase: number = Phase.Idle;
  protected urlFrom = -1;
  protected urlTo = -1;
  /**
   * [nameStart, nameEnd, valueStart, valueEnd] per header. Room for INITIAL_HEADERS at first, doubled (up to
   * http.max_headers) by growHeaders() when a head has more: sized for http.max_headers (100) at once it was 1.6 KiB
   * of every connection, idle ones included (bench/idle-memory.ts), for heads that rarely carry more than a dozen.
   */
  protected headerSpans: Int32Array;
  private readonly headerSpansCap: number;

  constructor(maxHeaders: number) {
    this.headerSpansCap = maxHeaders * 4;
    this.headerSpans = new Int32Array(Math.min(maxHeaders, INITIAL_HEADERS) * 4);
  }

  /** A larger `headerSpans` with the offsets so far (called only when it is full and below the cap). Kept for later heads. */
  protected growHeaders(): Int32Array {
    const grown = new Int32Array(Math.min(this.headerSpans.length * 2, this.headerSpansCap));
    grown.set(this.headerSpans, 0);
    return (this.headerSpans = grown);
  }

  /** Interned method name ("GET", ...). */
  methodName(): string {
    return METHOD_NAMES[this.method] ?? "UNKNOWN";
  }

  /** The request-target as sent (latin1; llhttp already rejected bytes outside its URL alphabet). */
  url(): string {
    return this.buf.latin1Slice(this.urlFrom, this.urlTo);
  }

  /** The buffer that `urlStart()`/`headerValueStart()` index; valid as long as the accessors are. */
  bytes(): Uint8Array {
    return this.buf;
  }

  urlStart(): number {
    return this.urlFrom;
  }

  urlEnd(): number {
    return this.urlTo;
  }

  /** Lower-case field name; interned for common names (RFC 9110 §5.1: names are case-insensitive). */
  headerName(i: number): string {
    if (i >= this.headerCount) return "";
    const h = this.headerSpans;
    const s = h[i * 4]!;
    const e = h[i * 4 + 1]!;
    return internedName(this.buf, s, e) ?? this.buf.latin1Slice(s, e).toLowerCase();
  }

  /** The field name as sent. */
  headerRawName(i: number): string {
    if (i >= this.headerCount) return "";
    return this.buf.latin1Slice(this.headerSpans[i * 4]!, this.headerSpans[i * 4 + 1]!);
  }

  /** Field value without trailing OWS (RFC 9110 §5.5; llhttp already skipped the leading OWS). */
  headerValue(i: number): string {
    if (i >= this.headerCount) return "";
    return this.buf.latin1Slice(this.headerSpans[i * 4 + 2]!, this.headerValueEnd(i));
  }

  headerValueStart(i: number): number {
    return this.headerSpans[i * 4 + 2]!;
  }

  /** End of the value with trailing SP/HTAB removed. */
  headerValueEnd(i: number): number {
    const b = this.buf;
    const s = this.headerSpans[i * 4 + 2]!;
    let e = this.headerSpans[i * 4 + 3]!;
    while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
    return e;
  }

  /** Index of the first field named `nameLower` (lower-case ASCII) at or after `from`, or -1. Bytes only. */
  headerIndex(nameLower: string, from = 0): number {
    const h = this.headerSpans;
    const b = this.buf;
    for (let i = from, n = this.headerCount; i < n; i++) {
      if (nameEquals(b, h[i * 4]!, h[i * 4 + 1]!, nameLower)) return i;
    }
    return -1;
  }

  /** Value of the first field named `nameLower`, or undefined. Other fields are not decoded. */
  header(nameLower: string): string | undefined {
    const i = this.headerIndex(nameLower, 0);
    return i < 0 ? undefined : this.headerValue(i);
  }

  /** How many fields are named `nameLower` (duplicate Host, Content-Length, ... checks in the server layer). */
  headerCountOf(nameLower: string): number {
    const h = this.headerSpans;
    const b = this.buf;
    let count = 0;
    for (let i = 0, n = this.headerCount; i < n; i++) {
      if (nameEquals(b, h[i * 4]!, h[i * 4 + 1]!, nameLower)) count++;
    }
    return count;
  }

  /**
   * One pass over the fields for several names at once (the server checks Host, Transfer-Encoding and Expect on
   * every request): `first[k]` gets the index of the first field named `names[k]` (lower-case) or -1, `counts[k]`
   * how many there are.
   */
  locate(names: readonly string[], first: Int32Array, counts: Int32Array): void {
    // A loop, not fill(): for three entries the native call costs more than the stores.
    for (let k = 0; k < names.length; k++) {
      first[k] = -1;
      counts[k] = 0;
    }
    const h = this.headerSpans;
    const b = this.buf;
    for (let i = 0, n = this.headerCount; i < n; i++) {
      const s = h[i * 4]!;
      const e = h[i * 4 + 1]!;
      const len = e - s;
      for (let k = 0; k < names.length; k++) {
        if (names[k]!.length === len && nameEquals(b, s, e, names[k]!)) {
          if (counts[k]++ === 0) first[k] = i;
          break;
        }
      }
    }
  }

  /**
   * Copies the head's bytes out of WASM memory so the accessors stay valid after execute() returns (async handler,
   * body still arriving). Idempotent; a no-op before the head is complete. Valid until the next message begins on
   * this parser (return Paused from onMessageComplete to hold pipelined requests back until then).
   */
  detachHead(): void {
    if (this.detached || this.phase === Phase.Head || this.urlFrom < 0) return;
    const h = this.headerSpans;
    const n = this.headerCount * 4;
    const start = this.urlFrom;
    let end = this.urlTo;
    for (let k = 1; k < n; k += 2) if (h[k]! > end) end = h[k]!;
    const len = end - start;
    if (this.own.length < len) this.own = Buffer.allocUnsafe(Math.max(len, 256)) as LatinBuffer;
    this.buf.copy(this.own, 0, start, end);
    this.rebase(-start);
    this.buf = this.own;
    this.detached = true;
  }

  /**
   * This head as an object of its own, for a request object that may outlive the parser's time with its connection
   * (the parser goes back to the thread's pool, http/parser-pool.ts): a detached head keeps its bytes and offsets (the
   * parser gives its copy up); one still in WASM memory, which later reads overwrite, becomes an empty head.
   */
  takeHead(): ParsedHead {
    if (!this.detached) return (emptyHead ??= ParsedHead.blank());
    const c = ParsedHead.blank();
    c.method = this.method;
    c.versionMajor = this.versionMajor;
    c.versionMinor = this.versionMinor;
    c.keepAlive = this.keepAlive;
    c.upgrade = this.upgrade;
    c.contentLength = this.contentLength;
    c.chunked = this.chunked;
    c.headerCount = this.headerCount;
    c.fast = this.fast;
    c.fastHosts = this.fastHosts;
    c.fastExpect = this.fastExpect;
    c.fastPct = this.fastPct;
    c.phase = this.phase;
    c.urlFrom = this.urlFrom;
    c.urlTo = this.urlTo;
    c.headerSpans = this.headerSpans.slice(0, this.headerCount * 4);
    c.buf = c.own = this.own;
    c.detached = true;
    this.own = EMPTY;
    return c;
  }

  /** A head with no request line and no fields (every accessor reads ""). */
  private static blank(): ParsedHead {
    const c = new ParsedHead(0);
    c.urlFrom = c.urlTo = 0;
    return c;
  }

  /** Adds `delta` to every recorded offset. */
  protected rebase(delta: number): void {
    this.urlFrom += delta;
    this.urlTo += delta;
    const h = this.headerSpans;
    for (let k = 0, n = this.headerCount * 4; k < n; k++) h[k] = h[k]! + delta;
  }
}
