/**
 * @module ws/ws-frame-writer
 * Server frames (RFC 6455 §5.2; a server never masks, §5.1: "A server MUST NOT mask any frames that it sends to
 * the client"). `headerInto` writes a header into a scratch buffer for the cork to copy next to the payload (a reply
 * costs no allocation); `frame` builds header and payload in one buffer, for what is written to many connections
 * (a publish is framed once and that buffer goes to every local subscriber).
 */

const enc = new TextEncoder();

/** Writes the header of a final frame with this opcode and payload length; returns its length (2, 4 or 10). */
export function headerInto(h: Uint8Array, at: number, opcode: number, len: number): number {
  h[at] = 0x80 | opcode;
  if (len < 126) {
    h[at + 1] = len;
    return 2;
  }
  if (len < 0x10000) {
    h[at + 1] = 126;
    h[at + 2] = len >>> 8;
    h[at + 3] = len & 0xff;
    return 4;
  }
  h[at + 1] = 127;
  const hi = Math.floor(len / 0x100000000);
  h[at + 2] = hi >>> 24;
  h[at + 3] = (hi >>> 16) & 0xff;
  h[at + 4] = (hi >>> 8) & 0xff;
  h[at + 5] = hi & 0xff;
  h[at + 6] = len >>> 24;
  h[at + 7] = (len >>> 16) & 0xff;
  h[at + 8] = (len >>> 8) & 0xff;
  h[at + 9] = len & 0xff;
  return 10;
}

/** Header length for a payload of `len` bytes. */
export function headerLength(len: number): number {
  return len < 126 ? 2 : len < 0x10000 ? 4 : 10;
}

/** RSV1 in the first header byte: a compressed message (RFC 7692 §6, permessage-deflate). */
export const RSV1 = 0x40;

/** One whole frame in one new buffer; `rsv` is ORed into the first byte (RSV1 for a compressed message). */
export function frame(opcode: number, payload: Uint8Array | string, rsv = 0): Uint8Array {
  const p = typeof payload === "string" ? enc.encode(payload) : payload;
  const out = new Uint8Array(headerLength(p.length) + p.length);
  const h = headerInto(out, 0, opcode, p.length);
  out[0] |= rsv;
  out.set(p, h);
  return out;
}

/**
 * A close frame's payload (§5.5.1): the code in network order, then the reason as UTF-8, cut to fit the 125 bytes
 * of a control frame at a character boundary. Code 1005 ("no status") is never sent: an empty body stands for it.
 */
export function closePayload(code: number, reason: string | Uint8Array): Uint8Array {
  if (code === 1005) return new Uint8Array(0);
  let r = typeof reason === "string" ? enc.encode(reason) : reason;
  if (r.length > 123) {
    let n = 123;
    while (n > 0 && (r[n]! & 0xc0) === 0x80) n--; // do not cut a UTF-8 sequence
    r = r.subarray(0, n);
  }
  const out = new Uint8Array(2 + r.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(r, 2);
  return out;
}
