/**
 * @module config/listen-url
 * Listen entries are URLs: `tcp://host:port`, `udp://host:port`, `http://host:port`, and their TLS forms `tls://`
 * (the packet protocol over TLS) and `https://`, optionally `?module=name` to say which module serves the port when
 * several are loaded, and on HTTP entries `?binary=/path` to serve binary over HTTP there (off unless asked: it runs
 * `proc` without the module's `http` hook). WebSocket: `ws://host:port/path` and `wss://host:port/path` (served by
 * the HTTP listener, which upgrades requests at that path and answers 404 elsewhere), or `?ws=/path` on an HTTP
 * entry (upgrades at that path, the module's `http` hook for the rest). Parsed once at start-up, never per connection.
 */

export type ListenProtocol = "tcp" | "udp" | "http" | "tls" | "https" | "ws" | "wss";

export interface ListenEntry {
  /** The URL as written (with a resolved port once the first thread has bound port 0). */
  readonly url: string;
  readonly protocol: ListenProtocol;
  /** Host name or address without IPv6 brackets, as Bun.listen wants it. */
  readonly hostname: string;
  readonly port: number;
  /** Module that serves this entry; undefined = the only module that can. */
  readonly module: string | undefined;
  /** HTTP entries: the binary-over-HTTP path ("" = off here); undefined = http.binary_path decides. */
  readonly binary?: string | undefined;
  /** Where WebSocket upgrades are served: the path of a ws:// or wss:// entry, `?ws=` of an HTTP one; undefined = none. */
  readonly ws?: string | undefined;
}

const protocols: readonly ListenProtocol[] = ["tcp", "udp", "http", "tls", "https", "ws", "wss"];

/** True for the schemes served over TLS (certificate and key from the [tls] section). */
export function isTlsProtocol(p: ListenProtocol): p is "tls" | "https" | "wss" {
  return p === "tls" || p === "https" || p === "wss";
}

/** ws:// and wss:// entries: WebSocket only (an HTTP listener that upgrades at its path). */
export function isWsProtocol(p: ListenProtocol): p is "ws" | "wss" {
  return p === "ws" || p === "wss";
}

/** What is spoken inside: tls:// carries the module's packets like tcp://, https:// (and ws://, wss://: the upgrade) HTTP. */
export function innerProtocol(p: ListenProtocol): "tcp" | "udp" | "http" {
  return p === "tls" ? "tcp" : p === "https" || p === "ws" || p === "wss" ? "http" : p;
}

/** Returns the parsed entry, or a string saying what is wrong with it. */
export function parseListenUrl(text: string): ListenEntry | string {
  // WHATWG URL drops the default port of special schemes (http:80) and refuses ports > 65535 without saying so,
  // so the port is read from the text itself.
  const portText = /^[a-z]+:\/\/(?:\[[^\]]*\]|[^/:?#]*)(?::(\d*))?/i.exec(text)?.[1] ?? "";
  if (portText !== "" && Number(portText) > 65535) return `port ${portText} out of range 0-65535`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `not a URL (expected e.g. "tcp://0.0.0.0:8000")`;
  }
  const protocol = u.protocol.slice(0, -1) as ListenProtocol;
  if (!protocols.includes(protocol)) return `unsupported scheme "${u.protocol}" (expected one of ${protocols.map((p) => p + "://").join(", ")})`;
  if (!u.hostname) return `missing host (expected e.g. "${protocol}://0.0.0.0:8000")`;
  if (portText === "") return `missing port (expected e.g. "${protocol}://${u.hostname}:8000")`;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return `port ${portText} out of range 0-65535`;
  const wsEntry = isWsProtocol(protocol);
  if (!wsEntry && u.pathname && u.pathname !== "/" && u.pathname !== "") return `unexpected path "${u.pathname}"`;
  const http = innerProtocol(protocol) === "http" && !wsEntry;
  for (const k of u.searchParams.keys()) {
    if (k === "module" || ((k === "binary" || k === "ws") && http)) continue;
    return `unknown option "${k}" (allowed: "module"${http ? ', "binary", "ws"' : ""})`;
  }
  const binary = u.searchParams.get("binary") ?? undefined;
  if (binary !== undefined && !/^(\/[^\s?#]*)?$/.test(binary)) return `binary path "${binary}" must be absolute, like "/binary" ("" = off)`;
  let ws = wsEntry ? (u.pathname === "" ? "/" : u.pathname) : (u.searchParams.get("ws") ?? undefined);
  if (ws === "") ws = undefined;
  if (ws !== undefined && !/^\/[^\s?#]*$/.test(ws)) return `WebSocket path "${ws}" must be absolute, like "/ws"`;
  const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  const module = u.searchParams.get("module") ?? undefined;
  return { url: formatListenUrl(protocol, hostname, port, module, binary, ws), protocol, hostname, port, module, binary, ws };
}

export function formatListenUrl(protocol: ListenProtocol, hostname: string, port: number, module?: string, binary?: string, ws?: string): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const wsEntry = isWsProtocol(protocol);
  const q = [module ? `module=${module}` : "", binary !== undefined ? `binary=${binary}` : "", ws !== undefined && !wsEntry ? `ws=${ws}` : ""].filter((x) => x !== "").join("&");
  return `${protocol}://${host}:${port}${wsEntry ? (ws ?? "/") : ""}${q === "" ? "" : `?${q}`}`;
}

export function withPort(e: ListenEntry, port: number): ListenEntry {
  return { ...e, port, url: formatListenUrl(e.protocol, e.hostname, port, e.module, e.binary, e.ws) };
}
