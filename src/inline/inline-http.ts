/**
 * @module inline/inline-http
 * The inline HTTP backend (http/http-backend.ts): a request is answered on this I/O thread by the connection's
 * exchange (http/exchange.ts), whose response writes to the wire at once (http/wire-response.ts); nothing comes
 * back later, so there is nothing to acknowledge. One object per thread; `request` allocates nothing.
 */
import type { HttpBackend, HttpBackendConn } from "../http/http-backend.ts";
import type { RequestParser } from "../http/llhttp/parser.ts";

export class InlineHttp implements HttpBackend {
  readonly inline = true;

  request(c: HttpBackendConn, route: number, _head: RequestParser, body: Uint8Array, stream: ReadableStream<Uint8Array> | null): void {
    c.exchange.run(route, body, stream);
  }

  ack(): void {}
}
