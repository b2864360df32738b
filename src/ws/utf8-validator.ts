/**
 * @module ws/utf8-validator
 * An incremental UTF-8 validator (RFC 3629 §4, the well-formed byte sequences): it keeps what it still expects
 * between calls, so a text message split over fragments or reads is checked piece by piece with no copy, and a
 * code point cut in two by a fragment boundary is still checked whole. RFC 6455 §8.1: "When an endpoint is to
 * interpret a byte stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream, that
 * endpoint MUST _Fail the WebSocket Connection_."
 */

export class Utf8Validator {
  /** Continuation bytes still expected for the code point in progress. */
  private need = 0;
  /** Range allowed for the next continuation byte (narrower right after E0, ED, F0, F4: no overlongs, no surrogates, ≤ U+10FFFF). */
  private lo = 0x80;
  private hi = 0xbf;

  /** Checks buf[off..end) as the next piece of the text; false as soon as it cannot be UTF-8. */
  update(buf: Uint8Array, off: number, end: number): boolean {
    let need = this.need;
    let lo = this.lo;
    let hi = this.hi;
    for (let i = off; i < end; i++) {
      const b = buf[i]!;
      if (need === 0) {
        if (b < 0x80) continue;
        if (b < 0xc2) return false; // a lone continuation byte, or C0/C1 (overlong two-byte forms)
        if (b < 0xe0) {
          need = 1;
        } else if (b < 0xf0) {
          need = 2;
          lo = b === 0xe0 ? 0xa0 : 0x80; // E0 80..9F would be overlong
          hi = b === 0xed ? 0x9f : 0xbf; // ED A0..BF are UTF-16 surrogates
        } else if (b < 0xf5) {
          need = 3;
          lo = b === 0xf0 ? 0x90 : 0x80; // F0 80..8F would be overlong
          hi = b === 0xf4 ? 0x8f : 0xbf; // F4 90.. is past U+10FFFF
        } else return false;
        continue;
      }
      if (b < lo || b > hi) return false;
      need--;
      lo = 0x80;
      hi = 0xbf;
    }
    this.need = need;
    this.lo = lo;
    this.hi = hi;
    return true;
  }

  /** True when no code point is left half done (a message may end here). */
  get complete(): boolean {
    return this.need === 0;
  }

  reset(): void {
    this.need = 0;
    this.lo = 0x80;
    this.hi = 0xbf;
  }
}

/** Validates one whole piece of text (a close reason, a message in one frame). */
export function isUtf8(buf: Uint8Array, off: number, end: number, scratch: Utf8Validator): boolean {
  scratch.reset();
  const ok = scratch.update(buf, off, end) && scratch.complete;
  scratch.reset();
  return ok;
}
