/**
 * @module http/wire-response
 * A response as it goes on the wire, on an I/O thread: the HTTP/1.1 head (Server and Date fields, Content-Length or
 * the framing of a stream, the Connection field the connection decided), the body left out for HEAD, 204 and 304,
 * and the bytes written through the connection (its cork gathers everything one read event produces into one
 * write). Whole responses are one head string plus the body; streamed ones use chunked coding on HTTP/1.1 (RFC 9112
 * §7.1) and a close-delimited body on HTTP/1.0 (RFC 9112 §6.3). The response object of an inline hook writes here
 * (response.ts), and so do the records a handler thread sends back (the pool backend). It keeps what the access log
 * and the statistics read: the status sent and the body bytes.
 */
import { CLOSE, StaticResponse, connectionLine, type ResponseEnv } from "./static-response.ts";
import type { ResponseSink } from "./response.ts";
import { statusHasNoBody, statusText } from "./status-text.ts";

/** What the wire writer needs from its connection. */
export interface WireOut {
  readonly env: ResponseEnv;
  /** Send bytes in order (corked during a read event). */
  send(r: Uint8Array | string): void;
  /** Start gathering several pieces into one write, when outside a read event; returns a token for endBatch. */
  beginBatch(): boolean;
  endBatch(token: boolean): void;
  /** True past the output high-water mark. */
  readonly congested: boolean;
  waitDrained(): Promise<void>;
  /** The response is complete. */
  responseFinished(): void;
  /** Set when the module asked to close the connection during this request. */
  readonly closeAfter: boolean;
}

const FRESH = 0;
const STREAMING = 1;
const FINISHED = 2;
/** The connection answered this request itself (refuse()): what the hook still sends is dropped. */
const REFUSED = 3;
const CRLF = "\r\n";
const LAST_CHUNK = "0\r\n\r\n";
/** String bodies up to this length are sent joined to their head (one piece, often written by reference). */
const JOIN_MAX = 16 * 1024;

export class WireResponse implements ResponseSink {
  private phase = FRESH;
  private variant = 0;
  private head = false;
  private chunked = false;
  private http10 = false;
  private code = 200;
  /** Body bytes sent so far (headers and chunk framing excluded): the access log's bytes_out. */
  bodyBytes = 0;

  constructor(private readonly out: WireOut) {}

  /** A new request: `variant` is the keep-alive decision (static-response.ts), `head` a HEAD request. */
  begin(variant: number, head: boolean, http10: boolean): void {
    this.phase = FRESH;
    this.variant = variant;
    this.head = head;
    this.http10 = http10;
    this.chunked = false;
    this.code = 200;
    this.bodyBytes = 0;
  }

  /** The status sent for this request. */
  get statusCode(): number {
    return this.code;
  }

  get headersSent(): boolean {
    return this.phase !== FRESH;
  }

  get congested(): boolean {
    return this.out.congested;
  }

  waitDrained(): Promise<void> {
    return this.out.waitDrained();
  }

  askClose(): void {
    this.variant = CLOSE;
  }

  private connectionVariant(): number {
    return this.out.closeAfter ? CLOSE : this.variant;
  }

  /** True when this response closes the connection. */
  get closes(): boolean {
    return this.connectionVariant() === CLOSE;
  }

  private headText(lines: string, length: string): string {
    const env = this.out.env;
    // RFC 9110 §15.3.5: "A 204 response is terminated by the end of the header section; it cannot contain content"
    // and §15.4.5: a 304 "is terminated by the end of the header section": with no content there is nothing for a
    // Content-Type to describe, whoever set it (the handler, here or on a handler thread).
    const l = statusHasNoBody(this.code) ? withoutContentType(lines) : lines;
    return `HTTP/1.1 ${this.code} ${statusText(this.code)}\r\n${env.serverLine}${env.date.line}${l}${length}${connectionLine(this.connectionVariant())}\r\n`;
  }

  /**
   * The connection answers the request in progress itself, with `body` and a close: a streamed request body refused
   * mid-way (http.max_body_bytes, a timeout) before its hook's answer began. The hook runs on: what it still sends is
   * dropped, and its end finishes the response (the connection then closes).
   */
  refuse(body: StaticResponse): void {
    this.phase = REFUSED;
    this.code = body.status;
    this.bodyBytes = body.body.length;
    this.out.send(body.bytes(this.out.env, CLOSE, false));
  }

  wholeStatic(body: StaticResponse): void {
    if (this.phase === REFUSED) return this.out.responseFinished();
    this.phase = FINISHED;
    this.code = body.status;
    if (!this.head) this.bodyBytes = body.body.length;
    this.out.send(body.bytes(this.out.env, this.connectionVariant(), this.head));
    this.out.responseFinished();
  }

  whole(status: number, lines: string, body: string | Uint8Array): void {
    if (this.phase === REFUSED) return this.out.responseFinished();
    this.phase = FINISHED;
    this.code = status;
    const noBody = statusHasNoBody(status);
    const out = this.out;
    const token = out.beginBatch();
    if (typeof body === "string") {
      const n = noBody ? 0 : Buffer.byteLength(body, "utf8");
      const len = noBody ? "" : `Content-Length: ${n}\r\n`;
      if (!this.head) this.bodyBytes = n;
      if (this.head || noBody) out.send(this.headText(lines, len));
      else if (body.length <= JOIN_MAX) out.send(this.headText(lines, len) + body);
      else {
        // Head and a large body go as two pieces: joined, they would be one more body-sized string per response,
        // made only to be copied into the cork (or the output queue) and thrown away.
        out.send(this.headText(lines, len));
        out.send(body);
      }
    } else {
      out.send(this.headText(lines, noBody ? "" : `Content-Length: ${body.length}\r\n`));
      if (!this.head && !noBody && body.length > 0) {
        this.bodyBytes = body.length;
        out.send(body);
      }
    }
    out.endBatch(token);
    out.responseFinished();
  }

  stream(status: number, lines: string, chunk: string | Uint8Array, last: boolean): void {
    if (this.phase === REFUSED) {
      if (last) this.out.responseFinished();
      return;
    }
    const out = this.out;
    const token = out.beginBatch();
    if (this.phase === FRESH) {
      this.phase = STREAMING;
      this.code = status;
      // RFC 9112 §6.1: "A server MUST NOT send a Transfer-Encoding header field in any response with a status code
      // of 1xx (Informational) or 204 (No Content)"; a 304 has no content to frame either (RFC 9110 §15.4.5).
      const noBody = statusHasNoBody(status);
      this.chunked = !this.http10 && !noBody;
      // HTTP/1.0 has no chunked coding: the body ends when the connection does (RFC 9112 §6.3 item 8).
      if (!this.chunked && !noBody) this.variant = CLOSE;
      out.send(this.headText(lines, this.chunked ? "Transfer-Encoding: chunked\r\n" : ""));
    }
    const hasBody = !this.head && !statusHasNoBody(this.code);
    const len = typeof chunk === "string" ? Buffer.byteLength(chunk, "utf8") : chunk.length;
    if (len > 0 && hasBody) {
      this.bodyBytes += len;
      if (this.chunked) out.send(len.toString(16) + CRLF);
      out.send(chunk);
      if (this.chunked) out.send(CRLF);
    }
    if (last) {
      if (this.chunked && hasBody) out.send(LAST_CHUNK);
      this.phase = FINISHED;
    }
    out.endBatch(token);
    if (last) out.responseFinished();
  }
}

/** The header lines without Content-Type (for responses that have no content). */
function withoutContentType(lines: string): string {
  return lines.replace(/(^|\n)content-type:[^\r]*\r\n/gi, "$1");
}
