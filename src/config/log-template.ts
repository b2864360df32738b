/**
 * @module config/log-template
 * `access_log.format` as a template, like nginx's `log_format`: literal text with `$name` or `${name}` variables,
 * compiled once at start-up into parts so a line is one pass of string appends. Config validation
 * (config/keys.ts) compiles it too and names an unknown variable with the key. The variables, with the nginx names
 * that mean the same, are documented in docs/access-log.md (keep the two in step). This file imports nothing; it lives in config/
 * because config validation (below the access log) compiles templates too.
 */

/** Variable ids, in the order of VARIABLES. */
export const V_TIME = 0;
export const V_KIND = 1;
export const V_REMOTE = 2;
export const V_REMOTE_ADDR = 3;
export const V_REMOTE_PORT = 4;
export const V_METHOD = 5;
export const V_TARGET = 6;
export const V_VERSION = 7;
export const V_REQUEST = 8;
export const V_STATUS = 9;
export const V_BYTES_OUT = 10;
export const V_DURATION_MS = 11;
export const V_DURATION_S = 12;
export const V_MODULE = 13;
export const V_THREAD = 14;
export const V_HOST = 15;
export const V_USER_AGENT = 16;
export const V_REFERER = 17;
export const V_REQUEST_ID = 18;
export const V_PACKETS = 19;
export const V_BYTES_IN = 20;
export const V_REASON = 21;

/** Variable names → ids; the second group are nginx's names for the same values. */
export const VARIABLES: Readonly<Record<string, number>> = {
  time: V_TIME, kind: V_KIND, remote: V_REMOTE, remote_addr: V_REMOTE_ADDR, remote_port: V_REMOTE_PORT, method: V_METHOD,
  target: V_TARGET, version: V_VERSION, request: V_REQUEST, status: V_STATUS, bytes_out: V_BYTES_OUT,
  duration_ms: V_DURATION_MS, module: V_MODULE, thread: V_THREAD, host: V_HOST, user_agent: V_USER_AGENT,
  referer: V_REFERER, request_id: V_REQUEST_ID, packets: V_PACKETS, bytes_in: V_BYTES_IN, reason: V_REASON,
  // nginx
  time_iso8601: V_TIME, request_method: V_METHOD, request_uri: V_TARGET, body_bytes_sent: V_BYTES_OUT,
  request_time: V_DURATION_S, http_user_agent: V_USER_AGENT, http_referer: V_REFERER, bytes_sent: V_BYTES_OUT,
};

/** What a line needs from the request beyond its line: the connection looks these headers up only when asked. */
export const NEED_HOST = 1;
export const NEED_USER_AGENT = 2;
export const NEED_REFERER = 4;
export const NEED_REQUEST_ID = 8;
export const NEED_ALL = NEED_HOST | NEED_USER_AGENT | NEED_REFERER | NEED_REQUEST_ID;

export interface LogTemplate {
  /** Literal strings and variable ids (numbers), in order. */
  readonly parts: readonly (string | number)[];
  /** NEED_* bits of the variables used. */
  readonly needs: number;
}

const NAME = /^[a-z_][a-z0-9_]*/;

/** Compiles a template, or returns why it is not one (an unknown variable, a `$` without a name, an unclosed `${`). */
export function compileTemplate(text: string): LogTemplate | string {
  const parts: (string | number)[] = [];
  let needs = 0;
  let lit = "";
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c !== "$") {
      lit += c;
      i++;
      continue;
    }
    if (text[i + 1] === "$") {
      lit += "$";
      i += 2;
      continue;
    }
    let name: string;
    if (text[i + 1] === "{") {
      const end = text.indexOf("}", i + 2);
      if (end < 0) return `unclosed "\${" at character ${i + 1}`;
      name = text.slice(i + 2, end);
      i = end + 1;
    } else {
      const m = NAME.exec(text.slice(i + 1));
      if (m === null) return `"$" without a variable name at character ${i + 1} (write a literal $ as $$)`;
      name = m[0];
      i += 1 + name.length;
    }
    const id = VARIABLES[name];
    if (id === undefined) return `unknown variable $${name} (known: ${Object.keys(VARIABLES).map((v) => `$${v}`).join(", ")})`;
    if (lit !== "") parts.push(lit);
    lit = "";
    parts.push(id);
    if (id === V_HOST) needs |= NEED_HOST;
    else if (id === V_USER_AGENT) needs |= NEED_USER_AGENT;
    else if (id === V_REFERER) needs |= NEED_REFERER;
    else if (id === V_REQUEST_ID) needs |= NEED_REQUEST_ID;
  }
  if (lit !== "") parts.push(lit);
  return { parts, needs };
}

/** `text` and `json` are the built-in formats; anything else must compile as a template. */
export function formatProblem(format: string): string | null {
  if (format === "text" || format === "json") return null;
  if (!format.includes("$")) return `expected "text", "json" or a template with $variables, got ${JSON.stringify(format)}`;
  const t = compileTemplate(format);
  return typeof t === "string" ? t : null;
}
