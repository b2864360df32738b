/**
 * @module ws/ws-deflate
 * permessage-deflate (RFC 7692), when `ws.deflate` is on: choosing one of the client's offers in the handshake, and
 * compressing and inflating whole messages. No context takeover either way: the server answers every offer it
 * accepts with `server_no_context_takeover; client_no_context_takeover`, so each message is compressed and inflated
 * on its own with the one-shot functions of node:zlib, and no zlib state (nor its 32 KiB window) is kept per
 * connection between messages. Inflating is bounded by ws.max_message_bytes (maxOutputLength): a message that
 * inflates past it closes the connection with 1009 as an uncompressed one would, however small it was on the wire.
 */
import type * as Zlib from "node:zlib";

// node:zlib is loaded on the first compressed message, not with the I/O thread: importing it costs every thread
// ~10 ms of its start (it loads node:stream), measured with bench/startup.ts, and most servers never deflate.
let zlib: typeof Zlib | undefined;
const z = (): typeof Zlib => (zlib ??= require("node:zlib") as typeof Zlib);

/** What was agreed in the handshake. */
export interface DeflateParams {
  /** Our LZ77 window (server_max_window_bits, 9..15; 15 when the client did not ask for less). */
  readonly windowBits: number;
}

/** Messages shorter than this are sent uncompressed (RSV1 clear, §6: allowed per message): DEFLATE would not pay. */
export const DEFLATE_MIN_BYTES = 128;

/** §7.2.2: the tail the sender removed, appended again before inflating. */
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** `name=value` or `name` parameters of one offer; null when one is malformed or repeated (§7: decline it). */
function params(parts: readonly string[]): Map<string, string | null> | null {
  const out = new Map<string, string | null>();
  for (const p of parts) {
    const eq = p.indexOf("=");
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    let value = eq < 0 ? null : p.slice(eq + 1).trim();
    if (value !== null && value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name === "" || out.has(name)) return null;
    out.set(name, value);
  }
  return out;
}

/** §7.1.2.1/§7.1.2.2: a window-bits value is a decimal integer 8..15 without leading zeros. */
function windowBits(v: string | null): number {
  return v !== null && /^(8|9|1[0-5])$/.test(v) ? Number(v) : -1;
}

/**
 * The first offer of `permessage-deflate` in `Sec-WebSocket-Extensions` the server can accept, as the response
 * header's value and the agreed parameters; null when there is none (the connection goes on uncompressed). §7: an
 * offer with an unknown parameter, an invalid value or a parameter twice is declined. server_max_window_bits=8 is
 * declined too: zlib's raw deflate cannot keep to a 256-byte window (it uses 9 bits for 8).
 */
export function negotiateDeflate(header: string | undefined): { params: DeflateParams; response: string } | null {
  if (header === undefined) return null;
  for (const offer of header.split(",")) {
    const [name = "", ...rest] = offer.split(";");
    if (name.trim().toLowerCase() !== "permessage-deflate") continue;
    const ps = params(rest);
    if (ps === null) continue;
    let bits = 15;
    let ok = true;
    for (const [k, v] of ps) {
      if (k === "server_no_context_takeover" || k === "client_no_context_takeover") ok &&= v === null;
      else if (k === "server_max_window_bits") {
        bits = windowBits(v);
        ok &&= bits >= 9;
      } else if (k === "client_max_window_bits") ok &&= v === null || windowBits(v) > 0; // we inflate any window
      else ok = false;
    }
    if (!ok) continue;
    // §7.1.1.2: the server may ask for client_no_context_takeover even unasked; the client then must not keep context.
    let response = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
    if (ps.has("server_max_window_bits")) response += `; server_max_window_bits=${bits}`;
    return { params: { windowBits: bits }, response };
  }
  return null;
}

/** §7.2.1: one message compressed on its own, the trailing 0x00 0x00 0xff 0xff removed. */
export function deflateMessage(payload: Uint8Array | string, p: DeflateParams): Uint8Array {
  const { deflateRawSync, constants } = z();
  const out = deflateRawSync(typeof payload === "string" ? Buffer.from(payload, "utf8") : payload, {
    finishFlush: constants.Z_SYNC_FLUSH, windowBits: p.windowBits,
  });
  return out.subarray(0, out.length - 4);
}

/** What inflating found: the message, or the close code to fail the connection with. */
const INFLATE_TOO_BIG = 1009;
const INFLATE_BAD = 1007;

/** §7.2.2: a compressed message's payload inflated, at most `max` bytes; a close code when larger or not DEFLATE. */
export function inflateMessage(data: Uint8Array, max: number): Uint8Array | number {
  const input = new Uint8Array(data.length + 4);
  input.set(data, 0);
  input.set(TAIL, data.length);
  try {
    const { inflateRawSync, constants } = z();
    return inflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, max) });
  } catch (err) {
    return (err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ? INFLATE_TOO_BIG : INFLATE_BAD;
  }
}
