/**
 * @module http/http-pool-link
 * Pool mode's HTTP records: a parsed request crosses to the handler thread as one K_HTTP_REQ record, and what comes
 * back (K_HTTP_RES: a whole response, a streamed chunk, the end) is played into the connection's response.
 */
import {
  K_HTTP_REQ, R_CHUNK, R_END, R_WHOLE, requestSize, writeRequest, type PoolRequest, type PoolResponse,
} from "../pool/pool-protocol.ts";
import type { RingLink } from "../pool/ring-link.ts";
import type { RequestParser } from "./llhttp/parser.ts";
import type { HttpResponseImpl } from "./response.ts";

/** `route` (route.ts) goes in the record's flags: the handler thread does not know which listener the request came in on. */
export function sendPoolRequest(link: RingLink, poolNo: number, seq: number, route: number, p: RequestParser, body: Uint8Array): void {
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < p.headerCount; i++) headers.push([p.headerName(i), p.headerValue(i)]);
  const r: PoolRequest = { method: p.methodName(), url: p.url(), versionMajor: p.versionMajor, versionMinor: p.versionMinor, headers, body };
  link.sendEncoded(K_HTTP_REQ, poolNo, seq, route, requestSize(r), (w) => writeRequest(w, r));
}

/**
 * Plays a K_HTTP_RES record (neither R_DROP nor R_FAIL) into the response. Returns true when it was a streamed chunk:
 * the handler waits for an ack before it streams on (bounded memory for slow clients).
 */
export function applyPoolResponse(res: HttpResponseImpl, flags: number, r: PoolResponse): boolean {
  if (!res.headersSent) res.applyHead(r.status, r.lines);
  if ((flags & R_WHOLE) !== 0) res.send(r.body);
  else if ((flags & R_CHUNK) !== 0) {
    res.write(r.body);
    return true;
  } else if ((flags & R_END) !== 0) res.end();
  return false;
}
