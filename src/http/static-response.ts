/**
 * @module http/static-response
 * The fast path for small fixed responses: status, headers and body are rendered once into complete response
 * bytes per connection variant (HTTP/1.1 keep-alive, HTTP/1.0 keep-alive, close; with or without body for HEAD)
 * and re-rendered only when the `Date` header changes, at most once a second. Sending one is one copy into the
 * cork buffer — or none, when it is the only response of a read event.
 *
 * @example
 * ```ts
 * const hello = staticResponse("Hello, World!", { headers: { "content-type": "text/plain" } });
 * export default defineModule({ name: "hello", version: "1.0.0", grocketd: "^0.1.0", http: () => hello });
 * ```
 */
import { misuse } from "../errors.ts";
import { checkHeader } from "./header-check.ts";
import { statusHasNoBody, statusText } from "./status-text.ts";
import type { PRECOMPUTED, PrecomputedResponse } from "../module/http-types.ts";

/** How the connection ends the response: decides the `Connection` header. */
export const KEEP_ALIVE_11 = 0;
export const KEEP_ALIVE_10 = 1;
export const CLOSE = 2;

const CONNECTION_LINE = ["", "Connection: keep-alive\r\n", "Connection: close\r\n"];

/** What a thread renders responses with. */
export interface ResponseEnv {
  /** "Server: grocketd\r\n" or "". */
  readonly serverLine: string;
  /** The current "Date: ...\r\n" line and its version. */
  readonly date: { readonly line: string; readonly version: number };
}

export interface StaticResponseInit {
  status?: number;
  headers?: Record<string, string | number>;
}

export class StaticResponse implements PrecomputedResponse {
  declare readonly [PRECOMPUTED]: true;
  readonly status: number;
  readonly body: Uint8Array;
  /** Header lines as given, validated, each ending in CRLF. */
  private readonly lines: string;
  /** [variant * 2 + (head ? 1 : 0)] → bytes, valid for `dateVersion`. */
  private readonly cache: Array<Uint8Array | undefined> = [undefined, undefined, undefined, undefined, undefined, undefined];
  private dateVersion = -1;
  private env: ResponseEnv | undefined;

  constructor(body: string | Uint8Array, init: StaticResponseInit = {}) {
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 999) throw misuse(RangeError, "GRK_ERR_RESPONSE_VALUE", "staticStatus", { status });
    this.status = status;
    this.body = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    if (statusHasNoBody(status) && this.body.length > 0) throw misuse(RangeError, "GRK_ERR_RESPONSE_VALUE", "staticBody", { status });
    let lines = "";
    let hasType = false;
    for (const [name, value] of Object.entries(init.headers ?? {})) {
      const v = String(value);
      checkHeader(name, v);
      const lower = name.toLowerCase();
      if (lower === "content-length" || lower === "transfer-encoding" || lower === "connection" || lower === "date") {
        throw misuse(TypeError, "GRK_ERR_RESPONSE_VALUE", "staticOwnHeader", { name });
      }
      if (lower === "content-type") hasType = true;
      lines += `${name}: ${v}\r\n`;
    }
    // RFC 9110 §15.3.5, §15.4.5: a 204 or 304 has no content, so no Content-Type describes it.
    if (statusHasNoBody(status)) lines = lines.replace(/(^|\n)content-type:[^\r]*\r\n/gi, "$1");
    else if (!hasType && this.body.length > 0) lines += `Content-Type: ${typeof body === "string" ? "text/plain; charset=utf-8" : "application/octet-stream"}\r\n`;
    this.lines = lines;
  }

  /** The header lines as given (each ending in CRLF), for a handler thread that sends them over a ring. */
  get headerLines(): string {
    return this.lines;
  }

  /** The complete response bytes for a connection variant; cached until the Date line changes. */
  bytes(env: ResponseEnv, variant: number, head: boolean): Uint8Array {
    if (env.date.version !== this.dateVersion || env !== this.env) {
      this.cache.fill(undefined);
      this.dateVersion = env.date.version;
      this.env = env;
    }
    const k = variant * 2 + (head ? 1 : 0);
    return (this.cache[k] ??= this.render(env, variant, head));
  }

  private render(env: ResponseEnv, variant: number, head: boolean): Uint8Array {
    const length = statusHasNoBody(this.status) ? "" : `Content-Length: ${this.body.length}\r\n`;
    const text = `HTTP/1.1 ${this.status} ${statusText(this.status)}\r\n${env.serverLine}${env.date.line}${this.lines}${length}${CONNECTION_LINE[variant]}\r\n`;
    const headBytes = Buffer.from(text, "latin1");
    if (head || this.body.length === 0) return headBytes;
    const out = new Uint8Array(headBytes.length + this.body.length);
    out.set(headBytes, 0);
    out.set(this.body, headBytes.length);
    return out;
  }
}

/** Builds a response once so sending it costs one copy (see the module example above). */
export function staticResponse(body: string | Uint8Array, init?: StaticResponseInit): StaticResponse {
  return new StaticResponse(body, init);
}

export function connectionLine(variant: number): string {
  return CONNECTION_LINE[variant]!;
}
