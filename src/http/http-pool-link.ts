/**
 * @module http/http-pool-link
 * Pool mode's HTTP records: a parsed request crosses to the handler thread as one K_HTTP_REQ record (what comes back
 * is written to the wire by http-pool-side.ts).
 */
import { K_HTTP_REQ, requestSize, writeRequest, type PoolRequest } from "../pool/pool-protocol.ts";
import type { RingLink } from "../pool/ring-link.ts";
import type { RequestParser } from "./llhttp/parser.ts";

/** `route` (route.ts) goes in the record's flags: the handler thread does not know which listener the request came in on. */
export function sendPoolRequest(link: RingLink, poolNo: number, seq: number, route: number, p: RequestParser, body: Uint8Array): void {
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < p.headerCount; i++) headers.push([p.headerName(i), p.headerValue(i)]);
  const r: PoolRequest = { method: p.methodName(), url: p.url(), versionMajor: p.versionMajor, versionMinor: p.versionMinor, headers, body };
  link.sendEncoded(K_HTTP_REQ, poolNo, seq, route, requestSize(r), (w) => writeRequest(w, r));
}
