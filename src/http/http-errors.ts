/**
 * @module http/http-errors
 * Canned error responses (uWebSockets' HttpErrors idea): every rejection the server makes on its own, by status,
 * with its stable code and the RFC section that calls for it — the `GRK_HTTP_*` entries of the one error table
 * (src/error-table.ts), which the rejection's debug line reads. Rendered once per thread as static responses and
 * always sent with `Connection: close`.
 */
import { ERROR_TABLE } from "../error-table.ts";
import { HPE, ParseResult } from "./llhttp/parser.ts";
import { staticResponse, type StaticResponse } from "./static-response.ts";
import { statusText } from "./status-text.ts";

type Table = typeof ERROR_TABLE;
type ClientCode = { [C in keyof Table]: Table[C]["seen"] extends "client" ? C : never }[keyof Table];

export type RejectStatus = Table[ClientCode]["status"];

/** Status → the table's code and rule for it. */
export const HttpRejections = Object.fromEntries(
  Object.entries(ERROR_TABLE).flatMap(([code, spec]) => (spec.seen === "client" ? [[spec.status, { code, why: spec.meaning }]] : [])),
) as { readonly [S in RejectStatus]: { readonly code: ClientCode; readonly why: string } };

const cache = new Map<number, StaticResponse>();

/** The canned response for a status (body: "<status> <reason>\n"), rendered once per thread. */
export function cannedError(status: RejectStatus): StaticResponse {
  let r = cache.get(status);
  if (r === undefined) {
    r = staticResponse(`${status} ${statusText(status)}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    cache.set(status, r);
  }
  return r;
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The status for a parse result. `token` is the request-line token llhttp stopped in (RequestParser#errorToken: the
 * failing request's own method or version, however its bytes were split over reads), used to tell an unknown but
 * well-formed method (501, RFC 9110 §9.1) or version (505, RFC 9110 §15.6.6) from garbage (400, RFC 9112 §3);
 * `stoppedAt` is the byte llhttp stopped at (RequestParser#errorByte).
 */
export function statusForParseError(rc: number, hasContentLength: boolean, token: string, stoppedAt: number): RejectStatus {
  switch (rc) {
    case ParseResult.UrlTooLong:
      return 414;
    case ParseResult.HeadTooLarge:
    case ParseResult.TooManyHeaders:
      return 431;
    case ParseResult.CallbackThrew:
      return 500;
    case HPE.INVALID_METHOD:
      // RFC 9110 §9.1: method = token; a token we do not implement is 501.
      return TCHAR.test(token) ? 501 : 400;
    case HPE.INVALID_TRANSFER_ENCODING:
      // RFC 9112 §6.1: a coding we do not understand is 501; TE together with Content-Length is smuggling, 400.
      return hasContentLength ? 400 : 501;
    case HPE.PAUSED_H2_UPGRADE:
      return 505;
    case HPE.INVALID_VERSION:
      // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT; a well-formed one we do not speak is 505. llhttp
      // refuses an unsupported version right after its last digit (at CR, LF or the end of the read); a stop at
      // anything else there (" HTTP/1.1 extra") is malformed syntax.
      return (stoppedAt === 0x0d || stoppedAt === 0x0a || stoppedAt === -1) && /^HTTP\/\d\.\d$/.test(token) ? 505 : 400;
    default:
      return 400;
  }
}
