/**
 * @module http/response
 * The `res` an http hook receives, on an I/O thread and on a handler thread alike: status and header fields
 * (response-head.ts), the default Content-Type, the order of send/write/end and their misuse errors. What a response
 * becomes goes to a ResponseSink: on an I/O thread the wire writer (wire-response.ts: the HTTP/1.1 head, chunked or
 * close-delimited framing, HEAD/204/304 rules, through the connection's cork), on a handler thread the records
 * that carry it back to the I/O thread (pool/record-sink.ts, with a window of unacknowledged chunks).
 */
import { misuse } from "../errors.ts";
import { ResponseHead } from "./response-head.ts";
import type { HttpResponse } from "../module/http-types.ts";
import { StaticResponse } from "./static-response.ts";
import { statusHasNoBody } from "./status-text.ts";

/** Where a response goes. `lines` are the header lines "Name: value\r\n" the handler set (already checked). */
export interface ResponseSink {
  /** The whole response at once; a string body is sent as UTF-8. */
  whole(status: number, lines: string, body: string | Uint8Array): void;
  /** A 200 rendered by staticResponse() (its own status and header lines). */
  wholeStatic(body: StaticResponse): void;
  /** A piece of a streamed response (the first sends the head; an empty one only that); `last` ends the response. */
  stream(status: number, lines: string, body: string | Uint8Array, last: boolean): void;
  /** write() answers "wait": the output is past high water, or too many chunks are unacknowledged. */
  readonly congested: boolean;
  waitDrained(): Promise<void>;
  /** The handler set `Connection: close`. */
  askClose(): void;
}

const FRESH = 0;
const STREAMING = 1;
const FINISHED = 2;
const EMPTY = new Uint8Array(0);

export class HttpResponseImpl extends ResponseHead implements HttpResponse {
  private phase = FRESH;

  constructor(private readonly sink: ResponseSink) {
    super();
  }

  /** A new request: nothing set, nothing sent. */
  begin(): void {
    this.resetHead();
    this.phase = FRESH;
  }

  get headersSent(): boolean {
    return this.phase !== FRESH;
  }

  get finished(): boolean {
    return this.phase === FINISHED;
  }

  protected askClose(): void {
    this.sink.askClose();
  }

  // send() is kept short, its misuse errors and the general body in methods of their own, so the JIT can inline it
  // into its caller: a StaticResponse then goes to the sink with one call less per request.
  send(body?: string | Uint8Array | StaticResponse): void {
    if (this.phase !== FRESH) throw this.sendMisuse();
    this.phase = FINISHED;
    if (body instanceof StaticResponse) {
      if (this.code === 200 && this.lines === "") return this.sink.wholeStatic(body);
      return this.sendBody(body.body);
    }
    this.sendBody(body);
  }

  private sendMisuse(): Error {
    return this.phase === FINISHED ? misuse(Error, "GRK_ERR_RESPONSE_STATE", "finished", { call: "send" }) : misuse(Error, "GRK_ERR_RESPONSE_STATE", "streaming", {});
  }

  private sendBody(body: string | Uint8Array | undefined): void {
    // RFC 9110 §15.3.5, §15.4.5: a 204 or 304 has no content, so no Content-Type to default.
    const typed = this.hasType || statusHasNoBody(this.code);
    if (typeof body === "string") {
      if (!typed && body.length > 0) this.lines += "Content-Type: text/plain; charset=utf-8\r\n";
      this.sink.whole(this.code, this.lines, body);
      return;
    }
    const bytes = body ?? EMPTY;
    if (!typed && bytes.length > 0) this.lines += "Content-Type: application/octet-stream\r\n";
    this.sink.whole(this.code, this.lines, bytes);
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.phase === FINISHED) throw misuse(Error, "GRK_ERR_RESPONSE_STATE", "finished", { call: "write" });
    this.phase = STREAMING;
    this.sink.stream(this.code, this.lines, chunk, false);
    return !this.sink.congested;
  }

  end(chunk?: string | Uint8Array): void {
    if (this.phase === FINISHED) throw misuse(Error, "GRK_ERR_RESPONSE_STATE", "finished", { call: "end" });
    if (this.phase === FRESH && chunk === undefined) return this.send();
    this.phase = FINISHED;
    this.sink.stream(this.code, this.lines, chunk ?? EMPTY, true);
  }

  drained(): Promise<void> {
    return this.sink.waitDrained();
  }
}
