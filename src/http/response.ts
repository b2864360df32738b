/**
 * @module http/response
 * The `res` an http hook receives. Whole responses are rendered as one header string plus the body and corked with
 * everything else the read event produced; streamed responses use chunked coding on HTTP/1.1 (RFC 9112 §7.1) and
 * a close-delimited body on HTTP/1.0 (RFC 9112 §6.3), with backpressure through `write()`'s result and `drained()`.
 */
import { ErrorCodes, misuse } from "../errors.ts";
import { ResponseHead } from "./response-head.ts";
import type { HttpResponse } from "../module/http-types.ts";
import { CLOSE, StaticResponse, connectionLine, type ResponseEnv } from "./static-response.ts";
import { statusHasNoBody, statusText } from "./status-text.ts";

/** What a response needs from its connection. */
export interface ResponseSink {
  readonly env: ResponseEnv;
  /** Send bytes in order (corked during a read event). */
  send(r: Uint8Array | string): void;
  /** Start gathering several pieces into one write, when outside a read event; returns a token for endBatch. */
  beginBatch(): boolean;
  endBatch(token: boolean): void;
  /** True past the output high-water mark. */
  readonly congested: boolean;
  waitDrained(): Promise<void>;
  /** The response is complete (or aborted). */
  responseFinished(): void;
  /** Set when the module asked to close the connection during this request. */
  readonly closeAfter: boolean;
}

const FRESH = 0;
const STREAMING = 1;
const FINISHED = 2;
const CRLF = "\r\n";
const LAST_CHUNK = "0\r\n\r\n";
/** String bodies up to this length are sent joined to their head (one piece, often written by reference). */
const JOIN_MAX = 16 * 1024;

export class HttpResponseImpl extends ResponseHead implements HttpResponse {
  private phase = FRESH;
  private variant = 0;
  private head = false;
  private chunked = false;
  private http10 = false;
  /** Body bytes sent so far (headers and chunk framing excluded): the access log's bytes_out. */
  bodyBytes = 0;

  constructor(private readonly sink: ResponseSink) {
    super();
  }

  /** The status sent (or to be sent) for this request. */
  get statusCode(): number {
    return this.code;
  }

  begin(variant: number, head: boolean, http10: boolean): void {
    this.http10 = http10;
    this.resetHead();
    this.phase = FRESH;
    this.variant = variant;
    this.head = head;
    this.chunked = false;
    this.bodyBytes = 0;
  }

  get headersSent(): boolean {
    return this.phase !== FRESH;
  }

  get finished(): boolean {
    return this.phase === FINISHED;
  }

  protected askClose(): void {
    this.variant = CLOSE;
  }

  /** Pool mode: status and header lines as a handler thread built (and validated) them. */
  applyHead(status: number, lines: string): void {
    this.status(status);
    this.lines = lines;
    this.hasType = /(^|\n)content-type:/i.test(lines);
  }

  private connectionVariant(): number {
    return this.sink.closeAfter ? CLOSE : this.variant;
  }

  /** True when this response closes the connection. */
  get closes(): boolean {
    return this.connectionVariant() === CLOSE;
  }

  private headText(length: string): string {
    const env = this.sink.env;
    // RFC 9110 §15.3.5: "A 204 response is terminated by the end of the header section; it cannot contain content"
    // and §15.4.5: a 304 "is terminated by the end of the header section": with no content there is nothing for a
    // Content-Type to describe, whoever set it (this side, the handler, or a handler thread's header lines).
    const lines = statusHasNoBody(this.code) && this.hasType ? withoutContentType(this.lines) : this.lines;
    return `HTTP/1.1 ${this.code} ${statusText(this.code)}\r\n${env.serverLine}${env.date.line}${lines}${length}${connectionLine(this.connectionVariant())}\r\n`;
  }

  send(body?: string | Uint8Array | StaticResponse): void {
    if (this.phase !== FRESH) throw misuse(Error, ErrorCodes.RESPONSE_STATE, this.phase === FINISHED ? "send(): response already finished" : "send(): a streamed response is ended with end()");
    this.phase = FINISHED;
    if (body instanceof StaticResponse) {
      if (this.code === 200 && this.lines === "") {
        this.code = body.status;
        if (!this.head) this.bodyBytes = body.body.length;
        this.sink.send(body.bytes(this.sink.env, this.connectionVariant(), this.head));
        this.sink.responseFinished();
        return;
      }
      body = body.body;
    }
    const noBody = statusHasNoBody(this.code);
    const token = this.sink.beginBatch();
    if (typeof body === "string") {
      if (!this.hasType && !noBody && body.length > 0) this.lines += "Content-Type: text/plain; charset=utf-8\r\n";
      const n = noBody ? 0 : Buffer.byteLength(body, "utf8");
      const len = noBody ? "" : `Content-Length: ${n}\r\n`;
      if (!this.head) this.bodyBytes = n;
      if (this.head || noBody) this.sink.send(this.headText(len));
      else if (body.length <= JOIN_MAX) this.sink.send(this.headText(len) + body);
      else {
        // Head and a large body go as two pieces: joined, they would be one more body-sized string per response,
        // made only to be copied into the cork (or the output queue) and thrown away.
        this.sink.send(this.headText(len));
        this.sink.send(body);
      }
    } else {
      const bytes = body ?? new Uint8Array(0);
      if (!this.hasType && !noBody && bytes.length > 0) this.lines += "Content-Type: application/octet-stream\r\n";
      this.sink.send(this.headText(noBody ? "" : `Content-Length: ${bytes.length}\r\n`));
      if (!this.head && !noBody && bytes.length > 0) {
        this.bodyBytes = bytes.length;
        this.sink.send(bytes);
      }
    }
    this.sink.endBatch(token);
    this.sink.responseFinished();
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.phase === FINISHED) throw misuse(Error, ErrorCodes.RESPONSE_STATE, "write(): response already finished");
    const token = this.sink.beginBatch();
    if (this.phase === FRESH) {
      this.phase = STREAMING;
      // RFC 9112 §6.1: "A server MUST NOT send a Transfer-Encoding header field in any response with a status code
      // of 1xx (Informational) or 204 (No Content)"; a 304 has no content to frame either (RFC 9110 §15.4.5).
      const noBody = statusHasNoBody(this.code);
      this.chunked = !this.http10 && !noBody;
      // HTTP/1.0 has no chunked coding: the body ends when the connection does (RFC 9112 §6.3 item 8).
      if (!this.chunked && !noBody) this.variant = CLOSE;
      this.sink.send(this.headText(this.chunked ? "Transfer-Encoding: chunked\r\n" : ""));
    }
    const len = typeof chunk === "string" ? Buffer.byteLength(chunk, "utf8") : chunk.length;
    if (len > 0 && !this.head && !statusHasNoBody(this.code)) {
      this.bodyBytes += len;
      if (this.chunked) this.sink.send(len.toString(16) + CRLF);
      this.sink.send(chunk);
      if (this.chunked) this.sink.send(CRLF);
    }
    this.sink.endBatch(token);
    return !this.sink.congested;
  }

  end(chunk?: string | Uint8Array): void {
    if (this.phase === FINISHED) throw misuse(Error, ErrorCodes.RESPONSE_STATE, "end(): response already finished");
    if (this.phase === FRESH && chunk === undefined) {
      this.send();
      return;
    }
    const token = this.sink.beginBatch();
    if (chunk !== undefined) this.write(chunk);
    else if (this.phase === FRESH) this.write("");
    if (this.chunked && !this.head && !statusHasNoBody(this.code)) this.sink.send(LAST_CHUNK);
    this.phase = FINISHED;
    this.sink.endBatch(token);
    this.sink.responseFinished();
  }

  drained(): Promise<void> {
    return this.sink.waitDrained();
  }
}

/** The header lines without Content-Type (for responses that have no content). */
function withoutContentType(lines: string): string {
  return lines.replace(/(^|\n)content-type:[^\r]*\r\n/gi, "$1");
}
