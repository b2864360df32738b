/**
 * @module io/output-queue
 * The bytes a connection could not write yet. Bun's socket.write() keeps no copy of what the kernel refused
 * (docs/platform-notes.md, "Socket writes and timeouts"), so the rest is copied here and resent on `drain`. Small remainders are packed into
 * shared blocks so a queue of many tiny replies drains in few writes.
 */

const BLOCK = 16 * 1024;

/** The subset of Bun's socket this queue writes to. */
export interface Writable {
  write(data: Uint8Array, byteOffset: number, byteLength: number): number;
}

export class OutputQueue {
  private blocks: Uint8Array[] = [];
  /** Read position in blocks[0]. */
  private head = 0;
  /** Fill level of the last block. */
  private tail = 0;
  /** Bytes waiting. */
  bytes = 0;

  push(src: Uint8Array, off: number, len: number): void {
    this.bytes += len;
    const last = this.blocks.length - 1;
    if (last >= 0) {
      const b = this.blocks[last]!;
      const room = b.length - this.tail;
      if (room > 0) {
        const n = room < len ? room : len;
        b.set(src.subarray(off, off + n), this.tail);
        this.tail += n;
        off += n;
        len -= n;
      }
    }
    if (len === 0) return;
    const b = new Uint8Array(len > BLOCK ? len : BLOCK);
    b.set(src.subarray(off, off + len), 0);
    this.blocks.push(b);
    this.tail = len;
  }

  /** Writes as much as the socket takes; returns true when the queue is empty afterwards. */
  flush(sock: Writable): boolean {
    while (this.blocks.length > 0) {
      const b = this.blocks[0]!;
      const end = this.blocks.length === 1 ? this.tail : b.length;
      const n = end - this.head;
      const w = n > 0 ? sock.write(b, this.head, n) : 0;
      if (w < 0) return false;
      this.bytes -= w;
      if (w < n) {
        this.head += w;
        return false;
      }
      this.blocks.shift();
      this.head = 0;
      if (this.blocks.length === 0) this.tail = 0;
    }
    return true;
  }

  clear(): void {
    this.blocks = [];
    this.head = 0;
    this.tail = 0;
    this.bytes = 0;
  }
}
