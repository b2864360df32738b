/**
 * @module http/http-backend
 * What an HTTP connection asks of whoever runs its module's hooks, beyond accept and close (those are every stream
 * connection's: io/backend.ts): a request answered, and an ack for each chunk of a streamed response that came from
 * elsewhere. Two implementations, as for io/backend.ts: inline/inline-http.ts runs the serving contract
 * (exchange.ts) on this thread, whose response writes to the wire directly; pool/pool-http.ts sends the request to
 * the connection's handler thread, and what comes back is reported through the connection's HttpBackendConn
 * methods: the response's pieces (`response`, flags below) and a lost handler thread (`handlerLost`). Only the
 * thread wiring (thread/io-thread.ts) knows both; it hands the listener its backend (http-listener.ts).
 */
import type { BackendConn } from "../io/backend.ts";
import type { HttpExchange } from "./exchange.ts";
import type { RequestParser } from "./llhttp/parser.ts";

/** The response's pieces as `HttpBackendConn#response` gets them (flags; pool-protocol.ts's HTTP_RES flags are these). */
/** The handler asked to close the connection after this response (conn.close()). */
export const RESPONSE_CLOSE = 1;
/** proc dropped the connection (binary over HTTP): no answer; the connection is dropped. */
export const RESPONSE_DROP = 2;
/** A handler error, counted here (logged and answered where it happened: the 500 or the `error` hook's answer). */
export const RESPONSE_FAIL = 4;
/** The whole response. */
export const RESPONSE_WHOLE = 16;
/** A piece of a streamed response (the first carries the head); acknowledged with `HttpBackend#ack`. */
export const RESPONSE_CHUNK = 32;
/** The end of a streamed response. */
export const RESPONSE_END = 64;
/** The handler failed with part of its response out: the connection is cut. */
export const RESPONSE_CUT = 256;
/** The pieces after which the next request may go. */
export const RESPONSE_LAST = RESPONSE_WHOLE | RESPONSE_END | RESPONSE_DROP | RESPONSE_CUT;

/**
 * Where a `fetch` hook's request body goes as it arrives (http-body-side.ts feeds it from llhttp's onBody): inline
 * the hook's ReadableStream itself (body-stream.ts), in pool mode BODY records to the handler thread
 * (pool/pool-body.ts). Either way it is bounded: `full` stops the connection reading until `onPull` is called.
 */
export interface RequestBodyFeed {
  /** The stream the hook reads, when it runs on this thread (inline); null when it runs elsewhere. */
  readonly stream: ReadableStream<Uint8Array> | null;
  /** Bytes of body received so far (the connection checks http.max_body_bytes against it). */
  readonly received: number;
  /** Past its bound (the hook is not reading): the connection stops reading the socket. */
  readonly full: boolean;
  /** Copies buf[start..end) on (counted even once it is done: later pieces are dropped). */
  push(buf: Uint8Array, start: number, end: number): void;
  /** The body is complete. */
  close(): void;
  /** The body will not complete: the hook's stream fails with `err`. */
  error(err: Error): void;
}

/** The HTTP side of one thread's backend (one object per thread, made by the thread wiring). */
export interface HttpBackend {
  /** True when the hooks run on this thread. */
  readonly inline: boolean;
  /**
   * A feed for the body of the request `c` has just begun (a `fetch` hook's, streamed), holding at most about
   * `window` bytes the hook has not read; `onPull`: it has room again after being `full`.
   */
  bodyFeed(c: HttpBackendConn, window: number, onPull: () => void): RequestBodyFeed;
  /**
   * The request `c.req` holds is complete (or, with `feed`, its head is): answer it. `route`: route.ts's decision;
   * `head`: its parsed head, valid during the call; `body`: all of it, or empty with `feed` (the body fed as it
   * arrives, from bodyFeed).
   */
  request(c: HttpBackendConn, route: number, head: RequestParser, body: Uint8Array, feed: RequestBodyFeed | null): void;
  /** A chunk the backend streamed (RESPONSE_CHUNK) is on its way out: it may send more. */
  ack(c: HttpBackendConn): void;
}

/** What an HTTP connection offers its HTTP backend (HttpConnection implements it). */
export interface HttpBackendConn extends BackendConn {
  /** The serving contract, run for this connection's requests by the inline backend. */
  readonly exchange: HttpExchange;
  /** Requests received on this connection so far (a request's sequence number). */
  readonly requests: number;
  /** "http" or "https": the scheme of the URL a `fetch` hook's Request gets. */
  readonly scheme: string;
  /** A piece of the response to the request in progress (`flags`: RESPONSE_*), from the backend that answers it. */
  response(flags: number, status: number, lines: string, body: Uint8Array): void;
}
