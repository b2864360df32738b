/**
 * @module access-log/access-log-format
 * The access log's line formats (documented in docs/access-log.md; keep the two in step). `text` is positional
 * and space-separated like nginx's "combined", with the request line quoted and escaped; `json` is one object per
 * line with fixed keys. One line per HTTP request, one per TCP connection when it closes.
 *
 *   <time> http <remote> "<method> <target> HTTP/<version>" <status> <bytes_out> <duration_ms> <module> <thread>
 *   <time> tcp <remote> <duration_ms> <packets> <bytes_in> <bytes_out> <module> <thread> <reason>
 */

export type AccessLogFormat = "text" | "json";

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
  /** peer, module, bad_data, handler_error, idle_timeout, draining, drain_timeout, refused, handler_lost, tls_handshake_timeout, terminated. */
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

const ms = (n: number): string => n.toFixed(3);

export function httpLine(format: AccessLogFormat, time: string, e: HttpEntry): string {
  if (format === "json") {
    return JSON.stringify({
      time, kind: "http", remote: formatRemote(e.remoteAddress, e.remotePort), method: e.method, target: e.target,
      version: e.version, status: e.status, bytes_out: e.bytesOut, duration_ms: Number(ms(e.durationMs)), module: e.module, thread: e.thread,
    }) + "\n";
  }
  const request = e.method === "-" ? "-" : `${escapeField(e.method)} ${escapeField(e.target)} HTTP/${e.version}`;
  return `${time} http ${formatRemote(e.remoteAddress, e.remotePort)} "${request}" ${e.status} ${e.bytesOut} ${ms(e.durationMs)} ${e.module} ${e.thread}\n`;
}

export function tcpLine(format: AccessLogFormat, time: string, e: TcpEntry): string {
  if (format === "json") {
    return JSON.stringify({
      time, kind: "tcp", remote: formatRemote(e.remoteAddress, e.remotePort), duration_ms: Number(ms(e.durationMs)), packets: e.packets,
      bytes_in: e.bytesIn, bytes_out: e.bytesOut, module: e.module, thread: e.thread, reason: e.reason,
    }) + "\n";
  }
  return `${time} tcp ${formatRemote(e.remoteAddress, e.remotePort)} ${ms(e.durationMs)} ${e.packets} ${e.bytesIn} ${e.bytesOut} ${e.module} ${e.thread} ${e.reason}\n`;
}
