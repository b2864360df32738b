/**
 * @module http/request-body
 * Collects one request's body as llhttp hands it over in pieces. While the body is one piece of the current read it
 * stays a zero-copy view of the parser's (shared WASM) memory; once it spans reads it is copied into an owned buffer
 * grown geometrically from what arrived, never sized from Content-Length alone.
 */

const EMPTY = new Uint8Array(0);

export class RequestBody {
  /** A view of the current read (valid only until the read event ends). */
  view: Uint8Array | null = null;
  private buf: Uint8Array | null = null;
  length = 0;

  constructor(private readonly maxBytes: number) {}

  reset(): void {
    this.length = 0;
    this.view = this.buf = null;
  }

  /** Adds buf[start..end); false when the body would pass the limit (the caller answers 413). */
  add(buf: Uint8Array, start: number, end: number, expected: number): boolean {
    const total = this.length + end - start;
    if (total > this.maxBytes) return false;
    if (this.view === null && this.buf === null) {
      this.view = buf.subarray(start, end);
    } else {
      if (this.view !== null) this.keep(expected);
      let b = this.buf!;
      if (b.length < total) {
        const grown = new Uint8Array(Math.min(Math.max(total, b.length * 2), this.maxBytes));
        grown.set(b.subarray(0, this.length), 0);
        b = this.buf = grown;
      }
      b.set(buf.subarray(start, end), this.length);
    }
    this.length = total;
    return true;
  }

  /**
   * The read event ends with the body unfinished: a piece still in the shared WASM memory is copied out. `expected`
   * is Content-Length (0 when unknown): a head that announces 1 MiB and sends one byte must not make the server
   * reserve 1 MiB per connection.
   */
  keep(expected: number): void {
    const v = this.view;
    if (v === null) return;
    this.view = null;
    const cap = expected > 0 ? expected : this.maxBytes;
    const b = new Uint8Array(Math.max(v.length, Math.min(cap, Math.max(v.length * 2, 16 * 1024))));
    b.set(v, 0);
    this.buf = b;
  }

  /** Bytes reserved in owned memory (tests: what a slow body costs). */
  get capacity(): number {
    return this.buf === null ? 0 : this.buf.length;
  }

  /** The body collected in owned memory (call when `view` is null). */
  owned(): Uint8Array {
    return this.buf === null ? EMPTY : this.buf.subarray(0, this.length);
  }
}
