/**
 * @module module/http-types
 * The HTTP side of the module contract: what an `http(req, res)` hook receives and may return. Types only, and in
 * module/ with the rest of the contract, so the contract does not import the HTTP implementation (http/ imports
 * these; docs/architecture.md has the layers).
 */
import type { Conn } from "./conn-types.ts";

/**
 * Marks the responses `staticResponse()` makes (http/static-response.ts, whose class carries it): the contract names
 * a precomputed response without importing the class that renders it, and no other object can pass for one.
 */
export declare const PRECOMPUTED: unique symbol;

/** A response rendered once by `staticResponse()` (the class `StaticResponse`), sent with one copy. */
export interface PrecomputedResponse {
  readonly status: number;
  readonly body: Uint8Array;
  readonly [PRECOMPUTED]: true;
}

/** Request header fields; names are case-insensitive (RFC 9110 §5.1). Decoded only when asked. */
export interface HttpHeaders {
  /** The field's value; repeated fields are joined with ", " (RFC 9110 §5.3). */
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** Every value of a repeated field, in order. */
  getAll(name: string): string[];
  /** All fields as [lower-case name, value] pairs, in order. */
  entries(): Array<[string, string]>;
  readonly size: number;
}

/**
 * One parsed request. Valid until its response is finished (strings and body are taken from the runtime's own
 * buffers and decoded on first use).
 */
export interface HttpRequest<S = unknown> {
  /** "GET", "POST", ... */
  readonly method: string;
  /** The request-target as sent: "/a/b?x=1", or absolute-form "http://host/a". */
  readonly url: string;
  /**
   * The path without the query, percent-decoded except for reserved characters (decodeURI), with dot segments
   * removed (RFC 3986 §5.2.4: "/a/../b" and "/%2e%2e/b" are "/b"). An encoded NUL, CR or LF in it was refused (400).
   */
  readonly path: string;
  /**
   * The host the request is for: the authority of an absolute-form target ("GET http://h:81/p" → "h:81"), which
   * wins over the Host header (RFC 9112 §3.2.2), else the Host header; "" when there is neither (HTTP/1.0).
   * `headers.get("host")` stays the header as sent.
   */
  readonly host: string;
  /** The query string, decoded. */
  readonly query: URLSearchParams;
  readonly headers: HttpHeaders;
  /** The whole body (empty when there is none); limited by http.max_body_bytes. */
  readonly body: Uint8Array;
  /** The body decoded as UTF-8. */
  text(): string;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
  /** "1.1" or "1.0". */
  readonly version: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The connection (with the state `accept` returned). */
  readonly conn: Conn<S>;
}

/** Writes one response. Status 200 unless set; `Date`, `Server`, `Content-Length` and `Connection` are added. */
export interface HttpResponse {
  status(code: number): this;
  /** Adds a header field. CR, LF and NUL are refused (response splitting). */
  header(name: string, value: string | number): this;
  /** Sends the whole response: a string (UTF-8), bytes, or a precomputed `staticResponse`. */
  send(body?: string | Uint8Array | PrecomputedResponse): void;
  /** Sends `JSON.stringify(value)` as the whole response, `Content-Type: application/json` unless one was set. */
  json(value: unknown): void;
  /** Streams a body of unknown length (chunked); false means "past the high-water mark: wait for drained()". */
  write(chunk: string | Uint8Array): boolean;
  /** Ends a streamed body (optionally with a last chunk). */
  end(chunk?: string | Uint8Array): void;
  /** Resolves when the connection's output queue has drained below half the high-water mark. */
  drained(): Promise<void>;
  readonly headersSent: boolean;
  readonly finished: boolean;
}

/** What an `http` hook may return instead of using `res`: the body of a 200 response. */
export type HttpResult = string | Uint8Array | PrecomputedResponse | null | undefined | void;

export type HttpHook<S> = (req: HttpRequest<S>, res: HttpResponse) => HttpResult | Promise<HttpResult>;

/**
 * The web-standard alternative to `http`: a `Request` in, a `Response` out (`fetch: app.fetch` for hono and other
 * fetch-style routers). The request's URL is absolute (scheme and `Host`), its body the whole request body.
 */
export type FetchHook<S> = (request: Request, conn: Conn<S>) => Response | Promise<Response>;

/** What an `error` hook may answer: a `Response` (its own status), or a body sent with status 500. */
export type ErrorAnswer = Response | string | Uint8Array;

/** Shapes the answer when `http` or `fetch` fails before its response began; if it throws, the plain 500 is sent. */
export type ErrorHook<S> = (err: unknown, req: HttpRequest<S>) => ErrorAnswer | Promise<ErrorAnswer>;
