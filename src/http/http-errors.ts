/**
 * @module http/http-errors
 * Canned error responses in one table (uWebSockets' HttpErrors idea): every rejection the server makes on its own,
 * with its status, a stable code for logs, and the RFC section that calls for it. Rendered once per thread as
 * static responses and always sent with `Connection: close`.
 */
import { HPE, ParseResult } from "./llhttp/parser.ts";
import { staticResponse, type StaticResponse } from "./static-response.ts";
import { statusText } from "./status-text.ts";

export const HttpRejections = {
  400: { code: "GRK_HTTP_BAD_REQUEST", why: "malformed request (RFC 9112 §2.2, §3, §5; RFC 9110 §5.5)" },
  404: { code: "GRK_HTTP_NOT_FOUND", why: "no handler for the target" },
  405: { code: "GRK_HTTP_METHOD_NOT_ALLOWED", why: "binary over HTTP takes POST only (RFC 9110 §15.5.6)" },
  408: { code: "GRK_HTTP_REQUEST_TIMEOUT", why: "head or body not received in time (RFC 9110 §15.5.9)" },
  413: { code: "GRK_HTTP_CONTENT_TOO_LARGE", why: "body larger than http.max_body_bytes (RFC 9110 §15.5.14)" },
  414: { code: "GRK_HTTP_URI_TOO_LONG", why: "request-target longer than http.max_url_bytes (RFC 9110 §15.5.15)" },
  417: { code: "GRK_HTTP_EXPECTATION_FAILED", why: "an Expect other than 100-continue (RFC 9110 §10.1.1)" },
  431: { code: "GRK_HTTP_HEADERS_TOO_LARGE", why: "head larger than http.max_head_bytes or more than http.max_headers fields (RFC 6585 §5)" },
  500: { code: "GRK_HTTP_HANDLER_ERROR", why: "the module's handler failed" },
  501: { code: "GRK_HTTP_NOT_IMPLEMENTED", why: "unknown method or transfer coding (RFC 9110 §9.1, RFC 9112 §6.1)" },
  503: { code: "GRK_HTTP_UNAVAILABLE", why: "the server is shutting down or the handler is gone" },
  505: { code: "GRK_HTTP_VERSION_NOT_SUPPORTED", why: "HTTP major version other than 1 (RFC 9110 §15.6.6)" },
} as const;

export type RejectStatus = keyof typeof HttpRejections;

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
