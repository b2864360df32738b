/**
 * @module http/request
 * The `req` an http hook receives, on an I/O thread and on a handler thread alike: lazy views over a parsed head
 * (nothing is decoded until asked) and the body. The head is llhttp's record of it on an I/O thread
 * (llhttp/parser.ts) and the HTTP_REQ record on a handler thread (pool/record-head.ts). On an I/O thread one object
 * per connection, reused from request to request.
 */
import type { Conn } from "../module/types.ts";
import type { HttpHeaders, HttpRequest } from "../module/http-types.ts";
import { targetAuthority, targetPath, targetQuery } from "./request-target.ts";

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder();

/** A request's head as the request object reads it. */
export interface RequestHead {
  methodName(): string;
  /** The request-target as received. */
  url(): string;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly headerCount: number;
  /** Index of the first field named `nameLower` at or after `from`, or -1. */
  headerIndex(nameLower: string, from?: number): number;
  /** Field `i`'s name, lower-case. */
  headerName(i: number): string;
  headerValue(i: number): string;
  /** Keeps the head readable past the read event that parsed it (an async hook). */
  detachHead(): void;
}

class HeadersView implements HttpHeaders {
  constructor(private readonly p: RequestHead) {}

  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    const first = this.p.headerIndex(lower, 0);
    if (first < 0) return undefined;
    const next = this.p.headerIndex(lower, first + 1);
    if (next < 0) return this.p.headerValue(first);
    return this.getAll(lower).join(", ");
  }

  has(name: string): boolean {
    return this.p.headerIndex(name.toLowerCase(), 0) >= 0;
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (let i = this.p.headerIndex(lower, 0); i >= 0; i = this.p.headerIndex(lower, i + 1)) out.push(this.p.headerValue(i));
    return out;
  }

  entries(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < this.p.headerCount; i++) out.push([this.p.headerName(i), this.p.headerValue(i)]);
    return out;
  }

  get size(): number {
    return this.p.headerCount;
  }
}

export class HttpRequestImpl implements HttpRequest<unknown> {
  head!: RequestHead;
  body: Uint8Array = EMPTY;
  private _method: string | undefined;
  private _url: string | undefined;
  private _path: string | undefined;
  private _host: string | undefined;
  private _query: URLSearchParams | undefined;
  private _headers: HeadersView | undefined;

  constructor(readonly conn: Conn<unknown>) {}

  begin(head: RequestHead, body: Uint8Array): void {
    if (this.head !== head) this._headers = undefined;
    this.head = head;
    this.body = body;
    this._method = this._url = this._path = this._host = undefined;
    this._query = undefined;
  }

  /**
   * The connection's parser is going back to its pool: the head is read from `head` from now on (its own copy, or an
   * empty one), never from a parser that serves another connection. What was read already stays as it was.
   */
  rehead(head: RequestHead): void {
    this.head = head;
    this._headers = undefined;
  }

  get method(): string {
    return (this._method ??= this.head.methodName());
  }

  get url(): string {
    return (this._url ??= this.head.url());
  }

  get path(): string {
    return (this._path ??= targetPath(this.url));
  }

  get query(): URLSearchParams {
    return (this._query ??= targetQuery(this.url));
  }

  get host(): string {
    if (this._host === undefined) {
      // RFC 9112 §3.2.2: "When an origin server receives a request with an absolute-form of request-target, the
      // origin server MUST ignore the received Host header field (if any) and instead use the host information of
      // the request-target."
      const i = this.head.headerIndex("host", 0);
      this._host = targetAuthority(this.url) ?? (i < 0 ? "" : this.head.headerValue(i));
    }
    return this._host;
  }

  get headers(): HttpHeaders {
    return (this._headers ??= new HeadersView(this.head));
  }

  text(): string {
    return utf8.decode(this.body);
  }

  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  get version(): string {
    return `${this.head.versionMajor}.${this.head.versionMinor}`;
  }

  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }

  get remotePort(): number {
    return this.conn.remotePort;
  }

  /** Keeps the head readable after the read event (async handler): on an I/O thread it leaves the parser's shared buffer. */
  detach(): void {
    this.head.detachHead();
  }
}
