/**
 * @module pool/pooled-http
 * HTTP on a handler thread: the request rebuilt from its ring record, and a response that sends itself back as
 * records — whole (`send`), or streamed (`write`/`end`) with a window of two unacknowledged chunks so a slow client
 * slows the handler down instead of filling the I/O thread's memory.
 */
import { ErrorCodes, misuse } from "../errors.ts";
import { ResponseHead } from "../http/response-head.ts";
import type { HttpHeaders, HttpRequest, HttpResponse } from "../module/http-types.ts";
import { targetAuthority, targetPath, targetQuery } from "../http/request-target.ts";
import { StaticResponse } from "../http/static-response.ts";
import type { PoolRequest, PoolResponse } from "./pool-protocol.ts";
import { R_CHUNK, R_END, R_WHOLE } from "./pool-protocol.ts";
import type { PooledConn } from "./pooled-conn.ts";

const utf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);
/** Streamed chunks that may be on their way to the client before write() says "wait". */
const WINDOW = 2;

class ListHeaders implements HttpHeaders {
  constructor(private readonly list: Array<[string, string]>) {}
  get(name: string): string | undefined {
    const all = this.getAll(name);
    return all.length === 0 ? undefined : all.join(", ");
  }
  has(name: string): boolean {
    const n = name.toLowerCase();
    return this.list.some(([k]) => k === n);
  }
  getAll(name: string): string[] {
    const n = name.toLowerCase();
    return this.list.filter(([k]) => k === n).map(([, v]) => v);
  }
  entries(): Array<[string, string]> {
    return this.list.map(([k, v]) => [k, v]);
  }
  get size(): number {
    return this.list.length;
  }
}

export class PooledRequest implements HttpRequest<unknown> {
  readonly method: string;
  readonly url: string;
  readonly headers: HttpHeaders;
  readonly body: Uint8Array;
  readonly version: string;
  private _path: string | undefined;
  private _query: URLSearchParams | undefined;

  constructor(
    r: PoolRequest,
    readonly conn: PooledConn,
  ) {
    this.method = r.method;
    this.url = r.url;
    this.headers = new ListHeaders(r.headers);
    this.body = r.body;
    this.version = `${r.versionMajor}.${r.versionMinor}`;
  }
  get path(): string {
    return (this._path ??= targetPath(this.url));
  }
  get query(): URLSearchParams {
    return (this._query ??= targetQuery(this.url));
  }
  /** RFC 9112 §3.2.2: an absolute-form target's authority wins over Host (as HttpRequestImpl#host). */
  get host(): string {
    return targetAuthority(this.url) ?? this.headers.get("host") ?? "";
  }
  text(): string {
    return utf8.decode(this.body);
  }
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }
  get remotePort(): number {
    return this.conn.remotePort;
  }
}

/** Sends one response record back to the I/O thread (flags say whole/chunk/end). */
export type EmitResponse = (flags: number, r: PoolResponse) => void;

const FRESH = 0;
const STREAMING = 1;
const FINISHED = 2;

export class PooledResponse extends ResponseHead implements HttpResponse {
  private phase = FRESH;
  private unacked = 0;
  private waiters: Array<() => void> = [];
  /** Largest body one record may carry; larger whole bodies are streamed. */
  maxBody = Infinity;

  constructor(
    private readonly emit: EmitResponse,
    private readonly conn: PooledConn,
    private readonly onFinished: () => void,
  ) {
    super();
  }

  get headersSent(): boolean {
    return this.phase !== FRESH;
  }
  get finished(): boolean {
    return this.phase === FINISHED;
  }

  protected askClose(): void {
    this.conn.closeRequested = true;
  }

  send(body?: string | Uint8Array | StaticResponse): void {
    if (this.phase !== FRESH) throw misuse(Error, ErrorCodes.RESPONSE_STATE, this.phase === FINISHED ? "send(): response already finished" : "send(): a streamed response is ended with end()");
    let bytes: Uint8Array;
    if (body instanceof StaticResponse) {
      if (this.code === 200 && this.lines === "") {
        this.code = body.status;
        this.lines = body.headerLines;
        this.hasType = true;
      }
      bytes = body.body;
    } else if (typeof body === "string") {
      if (!this.hasType && body.length > 0) this.lines += "Content-Type: text/plain; charset=utf-8\r\n";
      bytes = Buffer.from(body, "utf8");
    } else {
      bytes = body ?? EMPTY;
      if (!this.hasType && bytes.length > 0) this.lines += "Content-Type: application/octet-stream\r\n";
    }
    if (bytes.length > this.maxBody) {
      // Too big for one ring record: stream it (chunked on HTTP/1.1) rather than fail.
      this.hasType = true;
      for (let off = 0; off < bytes.length; off += this.maxBody) this.write(bytes.subarray(off, off + this.maxBody));
      this.end();
      return;
    }
    this.phase = FINISHED;
    this.emit(R_WHOLE, { status: this.code, lines: this.lines, body: bytes });
    this.onFinished();
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.phase === FINISHED) throw misuse(Error, ErrorCodes.RESPONSE_STATE, "write(): response already finished");
    this.phase = STREAMING;
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    for (let off = 0; off < bytes.length || off === 0; off += this.maxBody) {
      this.unacked++;
      this.emit(R_CHUNK, { status: this.code, lines: this.lines, body: bytes.subarray(off, off + this.maxBody) });
      if (bytes.length === 0) break;
    }
    return this.unacked < WINDOW;
  }

  end(chunk?: string | Uint8Array): void {
    if (this.phase === FINISHED) throw misuse(Error, ErrorCodes.RESPONSE_STATE, "end(): response already finished");
    if (this.phase === FRESH && chunk === undefined) return this.send();
    if (chunk !== undefined && (typeof chunk === "string" ? chunk.length : chunk.length) > 0) this.write(chunk);
    this.phase = FINISHED;
    this.emit(R_END, { status: this.code, lines: this.lines, body: EMPTY });
    this.onFinished();
  }

  drained(): Promise<void> {
    if (this.unacked < WINDOW) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The I/O thread has put one chunk on the wire (or the connection is gone). */
  ack(): void {
    if (this.unacked > 0) this.unacked--;
    if (this.unacked < WINDOW) for (const w of this.waiters.splice(0)) w();
  }

  /** The client is gone: release anyone waiting in drained(). */
  abort(): void {
    this.unacked = 0;
    for (const w of this.waiters.splice(0)) w();
  }
}
