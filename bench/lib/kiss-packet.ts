// The original grocket test client's 44-byte "kiss" packet: decimal id, a space, a NUL byte, then 'A' padding.
// Written in place so the client never allocates per request.

export const KISS_SIZE = 44;
const A = 0x41;
const SPACE = 0x20;
// Widest id we ever write (2^53 has 16 digits) plus space and NUL; bytes past this are always 'A'.
const MAX_PREFIX = 18;

/** Writes the kiss packet for `id` at `buf[off .. off+44)`. Only the prefix is rewritten when the slot already holds padding. */
export function writeKiss(buf: Uint8Array, off: number, id: number, padded = true): void {
  let digits = 1;
  for (let v = id; v >= 10; v = Math.floor(v / 10)) digits++;
  let v = id;
  for (let i = off + digits - 1; i >= off; i--) {
    buf[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  buf[off + digits] = SPACE;
  buf[off + digits + 1] = 0;
  const padFrom = off + digits + 2;
  // A slot that already held a kiss packet only needs the bytes an older (shorter or equal) prefix may have used.
  const padTo = padded ? off + MAX_PREFIX : off + KISS_SIZE;
  for (let i = padFrom; i < padTo; i++) buf[i] = A;
}

/** Fills a buffer with 'A' so that `writeKiss(..., padded = true)` can be used on any 44-byte slot of it. */
export function allocKissSlots(count: number): Buffer {
  return Buffer.alloc(count * KISS_SIZE, A);
}

/** A printable form of a packet (or of what arrived instead), for mismatch messages only. */
export function describeBytes(buf: Uint8Array, off: number, len: number): string {
  let s = "";
  for (let i = off; i < off + len; i++) {
    const c = buf[i]!;
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : c === 0 ? "\\0" : "\\x" + c.toString(16).padStart(2, "0");
  }
  return s;
}
