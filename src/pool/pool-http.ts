/**
 * @module pool/pool-http
 * The pool's HTTP backend (http/http-backend.ts), on the I/O thread: a parsed request crosses to the connection's
 * handler thread as one HTTP_REQ record (its route, which this listener decided, and TLS in the flags: the handler
 * thread does not know the listener), a `fetch` hook's body after it as BODY records (pool-body.ts), an ack as ACK; the HTTP_RES records that come back (record-sink.ts made them
 * there) are reported to the connection as response pieces. The session is the connection's PoolSession
 * (pool-session.ts), which passes these records on.
 */
import type { BackendConn } from "../io/backend.ts";
import type { HttpBackend, HttpBackendConn, RequestBodyFeed } from "../http/http-backend.ts";
import type { RequestParser } from "../http/llhttp/parser.ts";
import { PoolBodyFeed, bodyWindow } from "./pool-body.ts";
import { K_ACK, K_BODY_CREDIT, K_HTTP_REQ, K_HTTP_RES, Q_STREAM, Q_TLS, readerAt, readResponse, requestSize, writeRequest, type PoolRequest } from "./pool-protocol.ts";
import type { RingLink } from "./ring-link.ts";

/** The connection's PoolSession (pool-session.ts) as far as HTTP uses it; named here since that file imports this one. */
interface HttpSession {
  readonly link: RingLink | null;
  readonly poolNo: number;
  /** The body of the request in progress, streamed to the handler (pool-body.ts); null: none. */
  body: PoolBodyFeed | null;
  send(kind: number): void;
}

export class PoolHttp implements HttpBackend {
  readonly inline = false;

  /** The body goes after the request as BODY records, with a credit window (pool-body.ts). */
  bodyFeed(c: HttpBackendConn, window: number, onPull: () => void): RequestBodyFeed {
    const s = c.session as HttpSession;
    const link = s.link!;
    return (s.body = new PoolBodyFeed(link, s.poolNo, c.requests, bodyWindow(window, link.maxPayload), onPull));
  }

  request(c: HttpBackendConn, route: number, p: RequestParser, body: Uint8Array, feed: RequestBodyFeed | null): void {
    const s = c.session as HttpSession;
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < p.headerCount; i++) headers.push([p.headerName(i), p.headerValue(i)]);
    const r: PoolRequest = { method: p.methodName(), url: p.url(), versionMajor: p.versionMajor, versionMinor: p.versionMinor, headers, body };
    const flags = route | (c.scheme === "https" ? Q_TLS : 0) | (feed !== null ? Q_STREAM : 0);
    s.link!.sendEncoded(K_HTTP_REQ, s.poolNo, c.requests, flags, requestSize(r), writeRequest, r);
  }

  ack(c: HttpBackendConn): void {
    (c.session as HttpSession | null)?.send(K_ACK);
  }
}

/**
 * A record for an HTTP connection that is not a packet's reply: an HTTP_RES becomes a response piece, a BODY_CREDIT
 * goes to the body being streamed.
 */
export function httpRecord(c: BackendConn, kind: number, seq: number, flags: number, bytes: Uint8Array, off: number): void {
  if (kind === K_BODY_CREDIT) return (c.session as HttpSession | null)?.body?.credit(seq, flags);
  if (kind !== K_HTTP_RES) return;
  const r = readResponse(readerAt(bytes, off));
  (c as HttpBackendConn).response(flags, r.status, r.lines, r.body);
}
