/**
 * @module http/http-pool-link
 * Pool mode's HTTP records: a parsed request crosses to the handler thread as one K_HTTP_REQ record (what comes back
 * is written to the wire by http-pool-side.ts).
 */
import { K_ACK, K_HTTP_REQ, requestSize, writeRequest, type PoolRequest } from "../pool/pool-protocol.ts";
import type { PoolSession } from "../pool/pool-session.ts";
import type { RequestParser } from "./llhttp/parser.ts";

/**
 * `session` is the connection's pool session (StreamConnection#session). `route` (route.ts) goes in the record's
 * flags: the handler thread does not know which listener the request came in on.
 */
export function sendPoolRequest(session: unknown, seq: number, route: number, p: RequestParser, body: Uint8Array): void {
  const s = session as PoolSession;
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < p.headerCount; i++) headers.push([p.headerName(i), p.headerValue(i)]);
  const r: PoolRequest = { method: p.methodName(), url: p.url(), versionMajor: p.versionMajor, versionMinor: p.versionMinor, headers, body };
  s.link!.sendEncoded(K_HTTP_REQ, s.poolNo, seq, route, requestSize(r), (w) => writeRequest(w, r));
}

/** The streamed chunk left this thread's way: the handler thread may write more (`session`: see sendPoolRequest). */
export function sendPoolAck(session: unknown): void {
  (session as PoolSession).send(K_ACK);
}
