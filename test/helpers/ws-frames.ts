// Client-side WebSocket frames for raw-frame tests: masked (or not, to test the refusal), any header bits, and a
// parser of the server's (unmasked) frames.

export interface FrameOpts {
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
  /** Force the 16- or 64-bit length form. */
  lenForm?: 7 | 16 | 64;
  /** The masking key (4 bytes); a fixed one when not given. */
  key?: readonly number[];
}

const enc = new TextEncoder();

export function clientFrame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), o: FrameOpts = {}): Uint8Array {
  const p = typeof payload === "string" ? enc.encode(payload) : payload;
  const mask = o.mask ?? true;
  const form = o.lenForm ?? (p.length < 126 ? 7 : p.length < 65536 ? 16 : 64);
  const head = form === 7 ? 2 : form === 16 ? 4 : 10;
  const out = new Uint8Array(head + (mask ? 4 : 0) + p.length);
  out[0] = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode;
  out[1] = (mask ? 0x80 : 0) | (form === 7 ? p.length : form === 16 ? 126 : 127);
  if (form === 16) {
    out[2] = p.length >>> 8;
    out[3] = p.length & 0xff;
  } else if (form === 64) {
    new DataView(out.buffer).setBigUint64(2, BigInt(p.length));
  }
  const key = o.key ?? [0x37, 0xfa, 0x21, 0x3d];
  let at = head;
  if (mask) {
    out.set(key, at);
    at += 4;
  }
  for (let i = 0; i < p.length; i++) out[at + i] = mask ? p[i]! ^ key[i & 3]! : p[i]!;
  return out;
}

export function closeBody(code: number, reason = ""): Uint8Array {
  const r = enc.encode(reason);
  const out = new Uint8Array(2 + r.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(r, 2);
  return out;
}

export interface ServerFrame {
  fin: boolean;
  /** RSV1..RSV3 as a 3-bit number (4 = RSV1: a compressed message with permessage-deflate). */
  rsv: number;
  opcode: number;
  payload: Uint8Array;
}

/** Parses the server's frames from a byte stream (they must be unmasked); returns the frames and the bytes left. */
export function parseServerFrames(b: Uint8Array): { frames: ServerFrame[]; rest: Uint8Array; masked: boolean } {
  const frames: ServerFrame[] = [];
  let off = 0;
  let masked = false;
  for (;;) {
    if (b.length - off < 2) break;
    let len = b[off + 1]! & 0x7f;
    if ((b[off + 1]! & 0x80) !== 0) masked = true;
    let h = 2;
    if (len === 126) {
      if (b.length - off < 4) break;
      len = (b[off + 2]! << 8) | b[off + 3]!;
      h = 4;
    } else if (len === 127) {
      if (b.length - off < 10) break;
      len = Number(new DataView(b.buffer, b.byteOffset + off + 2, 8).getBigUint64(0));
      h = 10;
    }
    if (b.length - off - h < len) break;
    frames.push({ fin: (b[off]! & 0x80) !== 0, rsv: (b[off]! >> 4) & 7, opcode: b[off]! & 0x0f, payload: b.slice(off + h, off + h + len) });
    off += h + len;
  }
  return { frames, rest: b.slice(off), masked };
}

export function closeCodeOf(f: ServerFrame): number {
  return f.payload.length >= 2 ? (f.payload[0]! << 8) | f.payload[1]! : 1005;
}
