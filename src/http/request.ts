/**
 * @module http/request
 * The `req` an http hook receives: lazy views over the parser's recorded head (nothing is decoded until asked)
 * and the body collected by the connection. One object per connection, reused from request to request while
 * handlers finish synchronously.
 */
import type { RequestParser } from "./llhttp/parser.ts";
import type { Conn } from "../module/types.ts";
import type { HttpHeaders, HttpRequest } from "./http-types.ts";

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder();

class HeadersView implements HttpHeaders {
  constructor(private readonly p: RequestParser) {}

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

/** Where the path of a request-target starts and ends (origin-form, absolute-form or "*"; RFC 9112 §3.2). */
function pathBounds(url: string): [number, number] {
  let start = 0;
  if (url.charCodeAt(0) !== 0x2f /* / */ && url !== "*") {
    // absolute-form: scheme "://" authority path
    const scheme = url.indexOf("://");
    if (scheme > 0) {
      const slash = url.indexOf("/", scheme + 3);
      const q = url.indexOf("?", scheme + 3);
      start = slash < 0 || (q >= 0 && q < slash) ? -1 : slash;
    }
  }
  let end = url.indexOf("?", Math.max(0, start));
  if (end < 0) end = url.length;
  const hash = url.indexOf("#", Math.max(0, start));
  if (hash >= 0 && hash < end) end = hash;
  return [start, end];
}

export class HttpRequestImpl implements HttpRequest<unknown> {
  parser!: RequestParser;
  body: Uint8Array = EMPTY;
  private _method: string | undefined;
  private _url: string | undefined;
  private _path: string | undefined;
  private _query: URLSearchParams | undefined;
  private _headers: HeadersView | undefined;

  constructor(readonly conn: Conn<unknown>) {}

  begin(parser: RequestParser, body: Uint8Array): void {
    if (this.parser !== parser) this._headers = undefined;
    this.parser = parser;
    this.body = body;
    this._method = this._url = this._path = undefined;
    this._query = undefined;
  }

  get method(): string {
    return (this._method ??= this.parser.methodName());
  }

  get url(): string {
    return (this._url ??= this.parser.url());
  }

  get path(): string {
    if (this._path !== undefined) return this._path;
    const url = this.url;
    const [s, e] = pathBounds(url);
    let path = s < 0 ? "/" : url.slice(s, e);
    if (path.includes("%")) {
      try {
        path = decodeURI(path);
      } catch {
        // A malformed escape stays as sent; the handler can still look at req.url.
      }
    }
    return (this._path = path);
  }

  get query(): URLSearchParams {
    if (this._query !== undefined) return this._query;
    const url = this.url;
    const q = url.indexOf("?");
    let qs = q < 0 ? "" : url.slice(q + 1);
    const hash = qs.indexOf("#");
    if (hash >= 0) qs = qs.slice(0, hash);
    return (this._query = new URLSearchParams(qs));
  }

  get headers(): HttpHeaders {
    return (this._headers ??= new HeadersView(this.parser));
  }

  text(): string {
    return utf8.decode(this.body);
  }

  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  get version(): string {
    return `${this.parser.versionMajor}.${this.parser.versionMinor}`;
  }

  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }

  get remotePort(): number {
    return this.conn.remotePort;
  }

  /** Keeps the head readable after the read event (async handler): it leaves the parser's shared buffer. */
  detach(): void {
    this.parser.detachHead();
  }
}
