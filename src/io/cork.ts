/**
 * @module io/cork
 * One cork buffer per thread (uWebSockets' idea): replies produced while handling one read event are gathered here
 * and leave in one write. A lone reply is kept by reference and written as is, so the common ping-pong case copies
 * nothing; a second reply triggers the copy of both into the thread's preallocated buffer.
 */

const INITIAL = 64 * 1024;

export class Cork {
  /** Number of replies gathered since the last take(). */
  count = 0;
  /** The first reply, kept by reference while it is alone. */
  first: Uint8Array | string | null = null;
  /** Bytes gathered once there is more than one reply. */
  buf: Buffer = Buffer.allocUnsafeSlow(INITIAL);
  len = 0;

  add(r: Uint8Array | string): void {
    if (this.count === 0) {
      this.first = r;
      this.count = 1;
      return;
    }
    if (this.count === 1) {
      const f = this.first!;
      this.first = null;
      this.len = 0;
      this.append(f);
    }
    this.append(r);
    this.count++;
  }

  private append(r: Uint8Array | string): void {
    if (typeof r === "string") {
      // UTF-8 needs at most 3 bytes per UTF-16 unit; reserve that much so write() never truncates.
      this.reserve(r.length * 3);
      this.len += this.buf.write(r, this.len, "utf8");
    } else {
      this.reserve(r.length);
      this.buf.set(r, this.len);
      this.len += r.length;
    }
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  reset(): void {
    this.count = 0;
    this.first = null;
    this.len = 0;
  }
}
