/**
 * @module inline/inline-http
 * The inline HTTP backend (http/http-backend.ts): a request is answered on this I/O thread by the connection's
 * exchange (http/exchange.ts), whose response writes to the wire at once (http/wire-response.ts); nothing comes
 * back later, so there is nothing to acknowledge. One object per thread; `request` allocates nothing. A `fetch` hook's
 * body streams to it through its own ReadableStream (http/body-stream.ts).
 */
import { BodyStream } from "../http/body-stream.ts";
import type { HttpBackend, HttpBackendConn, RequestBodyFeed } from "../http/http-backend.ts";
import type { RequestParser } from "../http/llhttp/parser.ts";

export class InlineHttp implements HttpBackend {
  readonly inline = true;

  /** The hook's own ReadableStream, bounded by `window` bytes queued (http/body-stream.ts). */
  bodyFeed(_c: HttpBackendConn, window: number, onPull: () => void): RequestBodyFeed {
    return new BodyStream(window, onPull);
  }

  request(c: HttpBackendConn, route: number, _head: RequestParser, body: Uint8Array, feed: RequestBodyFeed | null): void {
    c.exchange.run(route, body, feed === null ? null : feed.stream);
  }

  ack(): void {}
}
