/**
 * @module access-log/access-log-format
 * The access log's line formats (documented in docs/access-log.md; keep the two in step). `text` is positional
 * and space-separated like nginx's "combined", with the request line, referer and user agent quoted and escaped;
 * `json` is one object per line with fixed keys; anything else is a template (config/log-template.ts). One line per HTTP
 * request, one per TCP connection when it closes.
 *
 *   <time> http <remote> "<method> <target> HTTP/<version>" <status> <bytes_out> <duration_ms> <module> <thread>
 *        <host> <request_id> "<referer>" "<user_agent>"
 *   <time> tcp <remote> <duration_ms> <packets> <bytes_in> <bytes_out> <module> <thread> <reason>
 */
import {
  V_BYTES_IN, V_BYTES_OUT, V_DURATION_MS, V_DURATION_S, V_HOST, V_KIND, V_METHOD, V_MODULE, V_PACKETS, V_REASON,
  V_REFERER, V_REMOTE, V_REMOTE_ADDR, V_REMOTE_PORT, V_REQUEST, V_REQUEST_ID, V_STATUS, V_TARGET, V_THREAD, V_TIME,
  V_USER_AGENT, V_VERSION, type LogTemplate,
} from "../config/log-template.ts";

/** "text", "json", or a compiled template. */
export type AccessLogFormat = "text" | "json" | LogTemplate;

export interface HttpEntry {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** "-" when the request was refused before its method was known (likewise target and version). */
  readonly method: string;
  readonly target: string;
  /** "1.1", "1.0" or "-". */
  readonly version: string;
  readonly status: number;
  /** Body bytes of the response (headers excluded), like nginx's $body_bytes_sent. */
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly module: string;
  readonly thread: number;
  /** Host header, User-Agent, Referer and the request id (X-Request-Id, or made): "-" when absent or not looked up. */
  readonly host?: string;
  readonly userAgent?: string;
  readonly referer?: string;
  readonly requestId?: string;
}

export interface TcpEntry {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly durationMs: number;
  readonly packets: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly module: string;
  readonly thread: number;
  /** peer, module, bad_data, handler_error, idle_timeout, draining, drain_timeout, refused, handler_lost, tls_handshake_timeout, slow_consumer, terminated. */
  readonly reason: string;
}

/** `ip:port`, `[v6]:port`, or "-" when the address is unknown. */
export function formatRemote(address: string, port: number): string {
  if (address === "") return "-";
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

// Anything but visible ASCII, and the quote and backslash, is written as \xHH so a line stays one parseable line.
const NEEDS_ESCAPE = /[^\x21\x23-\x5b\x5d-\x7e]/;
const ESCAPE_ALL = /[^\x21\x23-\x5b\x5d-\x7e]/g;

export function escapeField(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(ESCAPE_ALL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

// Inside quotes a space is fine (user agents have many); the quote, backslash and the rest are escaped as above.
const NEEDS_ESCAPE_QUOTED = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

export function escapeQuoted(s: string): string {
  return NEEDS_ESCAPE_QUOTED.test(s) ? s.split(" ").map(escapeField).join(" ") : s;
}

const ms = (n: number): string => n.toFixed(3);
const request = (e: HttpEntry): string => (e.method === "-" ? "-" : `${escapeField(e.method)} ${escapeField(e.target)} HTTP/${e.version}`);

export function httpLine(format: AccessLogFormat, time: string, e: HttpEntry): string {
  if (format === "json") {
    return JSON.stringify({
      time, kind: "http", remote: formatRemote(e.remoteAddress, e.remotePort), method: e.method, target: e.target,
      version: e.version, status: e.status, bytes_out: e.bytesOut, duration_ms: Number(ms(e.durationMs)), module: e.module, thread: e.thread,
      host: e.host ?? "-", user_agent: e.userAgent ?? "-", referer: e.referer ?? "-", request_id: e.requestId ?? "-",
    }) + "\n";
  }
  if (format !== "text") return templateLine(format, time, e, null);
  return (
    `${time} http ${formatRemote(e.remoteAddress, e.remotePort)} "${request(e)}" ${e.status} ${e.bytesOut} ${ms(e.durationMs)} ${e.module} ${e.thread} ` +
    `${escapeField(e.host ?? "-")} ${escapeField(e.requestId ?? "-")} "${escapeQuoted(e.referer ?? "-")}" "${escapeQuoted(e.userAgent ?? "-")}"\n`
  );
}

/** A template line for an HTTP request (`h`) or a TCP connection (`t`); a variable the other kind has is "-". */
function templateLine(f: LogTemplate, time: string, h: HttpEntry | null, t: TcpEntry | null): string {
  const e = (h ?? t)!;
  let out = "";
  for (const p of f.parts) {
    if (typeof p === "string") {
      out += p;
      continue;
    }
    switch (p) {
      case V_TIME: out += time; break;
      case V_KIND: out += h !== null ? "http" : "tcp"; break;
      case V_REMOTE: out += formatRemote(e.remoteAddress, e.remotePort); break;
      case V_REMOTE_ADDR: out += e.remoteAddress === "" ? "-" : e.remoteAddress; break;
      case V_REMOTE_PORT: out += e.remoteAddress === "" ? "-" : e.remotePort; break;
      case V_BYTES_OUT: out += e.bytesOut; break;
      case V_DURATION_MS: out += ms(e.durationMs); break;
      case V_DURATION_S: out += (e.durationMs / 1000).toFixed(3); break;
      case V_MODULE: out += e.module; break;
      case V_THREAD: out += e.thread; break;
      default:
        out += h !== null ? httpVar(p, h) : tcpVar(p, t!);
    }
  }
  return out + "\n";
}

function httpVar(v: number, e: HttpEntry): string {
  switch (v) {
    case V_METHOD: return escapeField(e.method);
    case V_TARGET: return escapeField(e.target);
    case V_VERSION: return e.version;
    case V_REQUEST: return request(e);
    case V_STATUS: return String(e.status);
    case V_HOST: return escapeQuoted(e.host ?? "-");
    case V_USER_AGENT: return escapeQuoted(e.userAgent ?? "-");
    case V_REFERER: return escapeQuoted(e.referer ?? "-");
    case V_REQUEST_ID: return escapeQuoted(e.requestId ?? "-");
    default: return "-";
  }
}

function tcpVar(v: number, e: TcpEntry): string {
  switch (v) {
    case V_PACKETS: return String(e.packets);
    case V_BYTES_IN: return String(e.bytesIn);
    case V_REASON: return e.reason;
    default: return "-";
  }
}

export function tcpLine(format: AccessLogFormat, time: string, e: TcpEntry): string {
  if (typeof format === "object") return templateLine(format, time, null, e);
  if (format === "json") {
    return JSON.stringify({
      time, kind: "tcp", remote: formatRemote(e.remoteAddress, e.remotePort), duration_ms: Number(ms(e.durationMs)), packets: e.packets,
      bytes_in: e.bytesIn, bytes_out: e.bytesOut, module: e.module, thread: e.thread, reason: e.reason,
    }) + "\n";
  }
  return `${time} tcp ${formatRemote(e.remoteAddress, e.remotePort)} ${ms(e.durationMs)} ${e.packets} ${e.bytesIn} ${e.bytesOut} ${e.module} ${e.thread} ${e.reason}\n`;
}
