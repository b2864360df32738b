// Kiss packets of any size for the UDP benchmark: decimal id, a space, a NUL byte, then 'A' padding up to `size`
// (the 44-byte packet of the original grocket test client, stretched). One datagram carries one packet.

const A = 0x41;
const SPACE = 0x20;
/** Widest id ever written (2^53 has 16 digits) plus the space and the NUL. */
export const KISS_MIN_SIZE = 18;

/** Writes the packet for `id` into `buf` (length = packet size) over a buffer already filled with 'A'. */
export function writeKissId(buf: Uint8Array, id: number, prevDigits: number): number {
  let digits = 1;
  for (let v = id; v >= 10; v = Math.floor(v / 10)) digits++;
  let v = id;
  for (let i = digits - 1; i >= 0; i--) {
    buf[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  buf[digits] = SPACE;
  buf[digits + 1] = 0;
  // A shorter id than the slot's previous one leaves old bytes behind: pad them back to 'A'.
  for (let i = digits + 2; i < prevDigits + 2; i++) buf[i] = A;
  return digits;
}

/** A fresh packet buffer of `size` bytes holding the packet for `id`. */
export function kissPacket(id: number, size: number): Uint8Array {
  const b = new Uint8Array(size).fill(A);
  writeKissId(b, id, 0);
  return b;
}

/**
 * The id of a well-formed kiss packet of `size` bytes in `d`, or -1 when anything is off (length, digits, the
 * space and NUL, the padding). Checks every byte, so a corrupted echo is a mismatch, not a silent success.
 */
export function parseKiss(d: Uint8Array, size: number): number {
  if (d.length !== size) return -1;
  let id = 0;
  let i = 0;
  for (; i < size; i++) {
    const c = d[i]!;
    if (c < 48 || c > 57) break;
    id = id * 10 + (c - 48);
  }
  if (i === 0 || i > 16 || i + 2 > size || d[i] !== SPACE || d[i + 1] !== 0) return -1;
  for (i += 2; i < size; i++) if (d[i] !== A) return -1;
  return id;
}
