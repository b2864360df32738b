/**
 * @module http/parser-pool
 * The llhttp parsers of one HTTP listener on one I/O thread that no connection holds. A connection takes one at the
 * first byte of a request and gives it back when the housekeeping tick finds it idle between requests (the parser
 * then holds nothing of it: llhttp_reset makes it as new), so an idle keep-alive connection costs no parser: with its
 * header offsets and llhttp_t it was ~1 KiB of each (issue 17, bench/idle-memory.ts). Bounded: past MAX_IDLE a
 * parser given back is freed.
 */
import type { Config } from "../config/keys.ts";
import { RequestParser, type ParserEvents, type ParserLimits } from "./llhttp/parser.ts";

/** Idle parsers kept for the next requests; more are freed (a burst of connections leaves no lasting pool). */
const MAX_IDLE = 64;

export class ParserPool {
  private readonly idle: RequestParser[] = [];

  private readonly limits: ParserLimits;

  /** `http`: the listener's limits (http.max_head_bytes, max_headers, max_url_bytes). */
  constructor(http: Pick<Config["http"], "max_head_bytes" | "max_headers" | "max_url_bytes">) {
    this.limits = { maxHeadBytes: http.max_head_bytes, maxHeaders: http.max_headers, maxUrlBytes: http.max_url_bytes };
  }

  /** A parser for `events` (the connection): a pooled one, or a new one. */
  take(events: ParserEvents): RequestParser {
    const p = this.idle.pop();
    if (p === undefined) return new RequestParser(events, this.limits);
    p.events = events;
    return p;
  }

  /** `p` is no longer its connection's: kept for another one when it can be reset now, else freed. */
  give(p: RequestParser): void {
    if (!p.reusable || this.idle.length >= MAX_IDLE) return p.destroy();
    p.park();
    this.idle.push(p);
  }

  /** Parsers waiting (tests). */
  get size(): number {
    return this.idle.length;
  }
}
