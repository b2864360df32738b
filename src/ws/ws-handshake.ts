/**
 * @module ws/ws-handshake
 * The opening handshake, server side (RFC 6455 §4.2): which requests are WebSocket upgrades we accept, the
 * `Sec-WebSocket-Accept` value, subprotocol selection, and the 101 response. Pure functions over a header lookup,
 * so the HTTP connection (http/http-connection.ts) and tests use the same rules.
 */

/** §1.3: the GUID the key is concatenated with. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** §4.2.2 step 5.4: base64 of the SHA-1 of key + GUID. */
export function acceptKey(key: string): string {
  return new Bun.CryptoHasher("sha1").update(key + GUID).digest("base64"); // not node:crypto: its import costs every I/O thread's start-up
}

export interface UpgradeRequest {
  readonly method: string;
  /** HTTP minor version (1 for HTTP/1.1). */
  readonly versionMinor: number;
  header(name: string): string | undefined;
}

export type HandshakeCheck =
  | {
    readonly ok: true; readonly key: string; readonly protocols: readonly string[]; readonly origin: string | undefined;
    /** §9.1: the extensions the client offers (`Sec-WebSocket-Extensions`), for ws-deflate.ts. */
    readonly extensions: string | undefined;
  }
  | { readonly ok: false; readonly status: 400 | 405 | 426; readonly why: string };

function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const t of value.split(",")) if (t.trim().toLowerCase() === token) return true;
  return false;
}

/** §4.2.1: what the client's opening handshake must hold; the status to refuse with otherwise (§4.2.2, §4.4). */
export function checkUpgrade(req: UpgradeRequest): HandshakeCheck {
  // §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
  if (req.method !== "GET") return { ok: false, status: 405, why: "a WebSocket handshake is a GET request" };
  if (req.versionMinor < 1) return { ok: false, status: 400, why: "a WebSocket handshake needs HTTP/1.1" };
  // Item 2: "A |Host| header field". Items 3 and 4: Upgrade containing "websocket", Connection containing "Upgrade".
  if (req.header("host") === undefined) return { ok: false, status: 400, why: "no Host header" };
  if (!hasToken(req.header("upgrade"), "websocket")) return { ok: false, status: 426, why: "Upgrade: websocket missing" };
  if (!hasToken(req.header("connection"), "upgrade")) return { ok: false, status: 400, why: "Connection: Upgrade missing" };
  // Item 6: "a |Sec-WebSocket-Version| header field, with a value of 13". §4.4: otherwise answer with the versions
  // we speak ("426 Upgrade Required" with Sec-WebSocket-Version: 13 is what the caller sends for this status).
  if (req.header("sec-websocket-version")?.trim() !== "13") return { ok: false, status: 426, why: "Sec-WebSocket-Version is not 13" };
  // Item 5: "a |Sec-WebSocket-Key| header field with a base64-encoded value that, when decoded, is 16 bytes in length".
  const key = req.header("sec-websocket-key")?.trim() ?? "";
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return { ok: false, status: 400, why: "Sec-WebSocket-Key is not 16 bytes in base64" };
  const offered = req.header("sec-websocket-protocol");
  const protocols = offered === undefined ? [] : offered.split(",").map((p) => p.trim()).filter((p) => p !== "");
  // §4.2.1 item 7 (browsers send Origin; §10.2: the server decides whether it accepts it — the module does, in upgrade).
  return { ok: true, key, protocols, origin: req.header("origin"), extensions: req.header("sec-websocket-extensions") };
}

/**
 * §4.2.2 step 5.4: "If the server chooses to use a subprotocol, it MUST be one of those the client offered": the
 * first of the server's own list (its order of preference) that the client offered, or none.
 */
export function selectProtocol(offered: readonly string[], supported: readonly string[] | undefined): string | undefined {
  if (supported === undefined || offered.length === 0) return undefined;
  for (const p of supported) if (offered.includes(p)) return p;
  return undefined;
}

/** The 101 response (§4.2.2 step 5). */
export function switchingProtocols(key: string, protocol: string | undefined, extensions?: string): string {
  return (
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n` +
    (protocol === undefined ? "" : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
    (extensions === undefined ? "" : `Sec-WebSocket-Extensions: ${extensions}\r\n`) +
    "\r\n"
  );
}

/** A refusal: plain text, `Connection: close`; 426 names the version we speak (§4.4). */
export function refusal(status: number, why: string): string {
  const reason = status === 400 ? "Bad Request" : status === 403 ? "Forbidden" : status === 405 ? "Method Not Allowed" : status === 426 ? "Upgrade Required" : status === 404 ? "Not Found" : status === 503 ? "Service Unavailable" : "Refused";
  const body = `${status} ${reason}: ${why}\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    (status === 426 ? "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n" : "") +
    (status === 405 ? "Allow: GET\r\n" : "") +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
