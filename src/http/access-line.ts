/**
 * @module http/access-line
 * An HTTP connection's access-log line: with the access log on, the request line, the headers the format uses
 * (Host, User-Agent, Referer, X-Request-Id: looked up only when asked, see config/log-template.ts) and the start time are
 * kept until its response is finished (or the connection is gone), then one line is logged. Exists only when the log
 * is on. The start and end times are the connection's (http-connection.ts), which the duration histogram shares.
 */
import type { AccessLog } from "../access-log/access-log.ts";
import { NEED_HOST, NEED_REFERER, NEED_REQUEST_ID, NEED_USER_AGENT } from "../config/log-template.ts";
import type { StreamConnection } from "../io/stream-connection.ts";
import type { RequestParser } from "./llhttp/parser.ts";

/** A request id a client may hand us: 1-128 visible ASCII characters (anything else is replaced by one we make). */
const GOOD_ID = /^[\x21-\x7e]{1,128}$/;
/** Made ids: random per thread (module state is per thread) plus a counter, so they are unique without coordination. */
const ID_PREFIX = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("") + "-";
let idCounter = 0;

/** The request's X-Request-Id when usable, else a new one. */
export function requestId(given: string | null): string {
  return given !== null && GOOD_ID.test(given) ? given : ID_PREFIX + (++idCounter).toString(16);
}

function header(p: RequestParser, name: string): string | null {
  const i = p.headerIndex(name);
  return i < 0 ? null : p.headerValue(i);
}

export class HttpAccessLine {
  private start = 0;
  private method = "-";
  private target = "-";
  private version = "-";
  private host = "-";
  private userAgent = "-";
  private referer = "-";
  private requestId = "-";
  /** A request was received and its line is not logged yet. */
  pending = false;

  constructor(
    private readonly log: AccessLog,
    private readonly conn: StreamConnection,
  ) {}

  /** Keeps the request line and the headers the format uses now, while the parser still holds them. */
  noteRequest(p: RequestParser, start: number): void {
    this.start = start;
    this.method = p.methodName();
    this.target = p.url();
    this.version = `${p.versionMajor}.${p.versionMinor}`;
    const needs = this.log.needs;
    if (needs !== 0) {
      this.host = needs & NEED_HOST ? (header(p, "host") ?? "-") : "-";
      this.userAgent = needs & NEED_USER_AGENT ? (header(p, "user-agent") ?? "-") : "-";
      this.referer = needs & NEED_REFERER ? (header(p, "referer") ?? "-") : "-";
      this.requestId = needs & NEED_REQUEST_ID ? requestId(header(p, "x-request-id")) : "-";
    }
    this.pending = true;
  }

  /** A request refused by the server itself: its request line may be half parsed, so it is not logged. */
  rejected(status: number, bytesOut: number, start: number, end: number): void {
    this.method = this.target = this.version = this.host = this.userAgent = this.referer = "-";
    this.requestId = this.log.needs & NEED_REQUEST_ID ? requestId(null) : "-";
    this.start = start;
    this.line(status, bytesOut, end);
  }

  line(status: number, bytesOut: number, end: number): void {
    this.pending = false;
    const c = this.conn;
    this.log.http({
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      method: this.method,
      target: this.target,
      version: this.version,
      status,
      bytesOut,
      durationMs: end - this.start,
      module: c.service.def.name,
      thread: c.thread,
      host: this.host,
      userAgent: this.userAgent,
      referer: this.referer,
      requestId: this.requestId,
    });
  }
}
