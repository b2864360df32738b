/**
 * @module io/cork
 * One cork buffer per thread (uWebSockets' idea): replies produced while handling one read event are gathered here
 * and leave in one write. Nothing is copied while it can be avoided:
 * - a lone reply is kept by reference and written as is (the common ping-pong case);
 * - packets answered with themselves (`proc` returned its own packet: an echo, a filter that passes data on) are
 *   kept as one range of the input buffer while they are consecutive, and written from it directly;
 * only otherwise are replies copied into the thread's preallocated buffer.
 */

const INITIAL = 64 * 1024;
/** Up to this many bytes are copied by a loop rather than set() (see copy). */
const SMALL = 64;

export class Cork {
  /** Number of replies gathered since the last reset(). */
  count = 0;
  /** The first reply, kept by reference while it is alone. */
  first: Uint8Array | string | null = null;
  /** Range mode: the replies so far are rangeBuf[rangeStart..rangeEnd). */
  rangeBuf: Uint8Array | null = null;
  rangeStart = 0;
  rangeEnd = 0;
  /** Bytes gathered once the replies had to be copied. */
  buf: Buffer = Buffer.allocUnsafeSlow(INITIAL);
  len = 0;

  /** A reply that is exactly the packet buf[off..off+n), passed to proc as a view. */
  addRange(buf: Uint8Array, off: number, n: number): void {
    const c = this.count;
    if (c === 0) {
      this.rangeBuf = buf;
      this.rangeStart = off;
      this.rangeEnd = off + n;
      this.count = 1;
      return;
    }
    if (this.rangeBuf === buf && this.rangeEnd === off) {
      this.rangeEnd = off + n;
      this.count = c + 1;
      return;
    }
    this.materialize();
    this.copy(buf, off, n);
    this.count = c + 1;
  }

  add(r: Uint8Array | string): void {
    const c = this.count;
    if (c === 0) {
      this.first = r;
      this.count = 1;
      return;
    }
    this.materialize();
    if (typeof r === "string") this.copyString(r);
    else this.copy(r, 0, r.length);
    this.count = c + 1;
  }

  /** A reply behind a header of `hn` bytes (a WebSocket frame): both copied, so `h` may be a scratch buffer. */
  addWithHeader(h: Uint8Array, hn: number, r: Uint8Array | string): void {
    const c = this.count;
    this.materialize();
    this.reserve(hn);
    const b = this.buf;
    const at = this.len;
    for (let i = 0; i < hn; i++) b[at + i] = h[i]!;
    this.len = at + hn;
    if (typeof r === "string") this.copyString(r);
    else this.copy(r, 0, r.length);
    this.count = c + 1;
  }

  /** Leaves reference/range mode: what was kept by reference is copied into buf. */
  private materialize(): void {
    const f = this.first;
    const rb = this.rangeBuf;
    if (f === null && rb === null) return;
    this.first = null;
    this.rangeBuf = null;
    this.len = 0;
    if (rb !== null) this.copy(rb, this.rangeStart, this.rangeEnd - this.rangeStart);
    else if (typeof f === "string") this.copyString(f);
    else this.copy(f!, 0, f!.length);
  }

  // copy and reserve stay small enough for the JIT to inline them into add() (a call less per reply); the loop for a
  // few bytes and growing the buffer are calls of their own.
  private copy(src: Uint8Array, off: number, n: number): void {
    if (n <= SMALL) return this.copyFew(src, off, n);
    this.reserve(n);
    if (off === 0 && n === src.length) this.buf.set(src, this.len);
    else this.buf.set(src.subarray(off, off + n), this.len);
    this.len += n;
  }

  /** A few bytes: a loop the JIT compiles costs less than the native set() call (and the subarray it needs). */
  private copyFew(src: Uint8Array, off: number, n: number): void {
    this.reserve(n);
    const b = this.buf;
    const at = this.len;
    for (let i = 0; i < n; i++) b[at + i] = src[off + i]!;
    this.len = at + n;
  }

  private copyString(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit; reserve that much so write() never truncates.
    this.reserve(s.length * 3);
    this.len += this.buf.write(s, this.len, "utf8");
  }

  private reserve(n: number): void {
    if (this.len + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Bytes gathered so far (for the high-water check during a read event; strings count UTF-16 units). */
  get size(): number {
    if (this.rangeBuf !== null) return this.rangeEnd - this.rangeStart;
    if (this.first !== null) return this.first.length;
    return this.len;
  }

  reset(): void {
    this.count = 0;
    this.first = null;
    this.rangeBuf = null;
    this.len = 0;
  }
}

