/**
 * @module io/output-queue
 * The bytes a connection could not write yet. Bun's socket.write() keeps no copy of what the kernel refused
 * (docs/platform-notes.md, "Socket writes and timeouts"), so the rest is copied here and resent on `drain`.
 *
 * Memory: the queue is made of fixed-size blocks taken from a per-thread free list and given back to it as soon as
 * they are written, so what a connection holds is its queued bytes plus at most two partly used blocks (the one
 * being written from and the one being filled), and a slow reader catching up allocates nothing: the same blocks go
 * round. (Blocks sized to each write, as before, were new memory on every drain — a large response left one such
 * block per partial write — and 200 slow readers catching up swung the RSS far above what they had queued.) The free
 * list is bounded; blocks beyond it are left to the garbage collector.
 */

export const BLOCK = 64 * 1024;
/** Blocks kept for reuse per thread (4 MiB). */
const FREE_MAX = 64;
const free: Uint8Array[] = [];

/** Per-thread accounting of queue memory, for tests and statistics. */
export const queueMemory = {
  /** Bytes of blocks ever allocated (not taken from the free list). */
  allocated: 0,
  /** Bytes of blocks held by queues now. */
  held: 0,
};

function takeBlock(): Uint8Array {
  queueMemory.held += BLOCK;
  const b = free.pop();
  if (b !== undefined) return b;
  queueMemory.allocated += BLOCK;
  return new Uint8Array(BLOCK);
}

function giveBack(b: Uint8Array): void {
  queueMemory.held -= BLOCK;
  if (free.length < FREE_MAX) free.push(b);
}

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
  /** Write calls made by flush (the thread's write counter, stats). */
  writes = 0;

  push(src: Uint8Array, off: number, len: number): void {
    this.bytes += len;
    while (len > 0) {
      if (this.blocks.length === 0 || this.tail === BLOCK) {
        this.blocks.push(takeBlock());
        this.tail = 0;
      }
      const b = this.blocks[this.blocks.length - 1]!;
      const n = Math.min(BLOCK - this.tail, len);
      b.set(src.subarray(off, off + n), this.tail);
      this.tail += n;
      off += n;
      len -= n;
    }
  }

  /** Bytes of blocks this queue holds (queued bytes plus the unused parts of its first and last block). */
  get reserved(): number {
    return this.blocks.length * BLOCK;
  }

  /** Writes as much as the socket takes; returns true when the queue is empty afterwards. */
  flush(sock: Writable): boolean {
    while (this.blocks.length > 0) {
      const b = this.blocks[0]!;
      const end = this.blocks.length === 1 ? this.tail : BLOCK;
      const n = end - this.head;
      let w = 0;
      if (n > 0) {
        w = sock.write(b, this.head, n);
        this.writes++;
      }
      if (w < 0) return false;
      this.bytes -= w;
      if (w < n) {
        this.head += w;
        return false;
      }
      giveBack(this.blocks.shift()!);
      this.head = 0;
      if (this.blocks.length === 0) this.tail = 0;
    }
    return true;
  }

  /** Drops what is queued (the connection is gone) and gives the blocks back for other connections. */
  clear(): void {
    for (const b of this.blocks) giveBack(b);
    this.blocks = [];
    this.head = 0;
    this.tail = 0;
    this.bytes = 0;
  }
}
