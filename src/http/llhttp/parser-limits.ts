/**
 * @module http/llhttp/parser-limits
 * The limits a RequestParser enforces (parser.ts, parser-callbacks.ts) and their check, done once when a parser is
 * made: kept apart from the parsing code so the options a caller passes are read in one place.
 */
import { llhttpError } from "./llhttp-errors.ts";

export interface ParserLimits {
  /** Request line + header section (and, separately, the trailer section) in bytes → HeadTooLarge (431). */
  readonly maxHeadBytes: number;
  /** Header fields per request (and trailer fields) → TooManyHeaders (431). */
  readonly maxHeaders: number;
  /** Request-target length in bytes → UrlTooLong (414). */
  readonly maxUrlBytes: number;
  /** Try the JavaScript scan for simple body-less requests before llhttp (fast-path.ts). Default true. */
  readonly fastPath?: boolean;
}

/** Throws GRK_ERR_LLHTTP_BAD_LIMITS unless every size limit is an integer in [1, 2^30). */
export function checkParserLimits(limits: ParserLimits): void {
  for (const k of ["maxHeadBytes", "maxHeaders", "maxUrlBytes"] as const) {
    const v = limits[k];
    if (!Number.isInteger(v) || v < 1 || v > 0x3fffffff) {
      throw llhttpError("GRK_ERR_LLHTTP_BAD_LIMITS", "limit", { key: k, value: String(v) });
    }
  }
}
