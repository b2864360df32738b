/**
 * Test helper shared by the main thread and ring-worker.ts: a seeded PRNG for record sizes, record contents derived
 * from the sequence number (written and checked a 32-bit word at a time, zero-copy through reserve/commit), and an
 * order-sensitive checksum both sides compute independently.
 */
import type { Ring } from "../../src/ring/index.ts";

/** mulberry32: tiny, fast, good enough for sizes. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed | 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
}

export function word(seq: number, i: number): number {
  return (Math.imul(seq, 0x9e3779b1) + Math.imul(i, 0x01000193)) | 0;
}

export function mix(h: number, seq: number, len: number): number {
  return Math.imul(Math.imul(h ^ seq, 0x01000193) ^ len, 0x5bd1e995);
}

function words(ring: Ring): Int32Array {
  return new Int32Array(ring.bytes.buffer, ring.bytes.byteOffset, ring.capacity >>> 2);
}

/** Writes record `seq` of `len` bytes zero-copy; false when the ring is full. */
export function makeWriter(ring: Ring): (seq: number, len: number) => boolean {
  const d = words(ring);
  return (seq, len) => {
    const at = ring.reserve(len);
    if (at < 0) return false;
    const base = at >> 2;
    const n = (len + 3) >> 2; // the reserved record is padded to 8 bytes, so the last partial word is ours
    for (let i = 0; i < n; i++) d[base + i] = word(seq, i);
    ring.commit();
    return true;
  };
}

/** Bytes of record `seq` as a fresh array (for the byte-copy push path). */
export function recordBytes(seq: number, len: number): Uint8Array {
  const w = new Int32Array((len + 3) >> 2);
  for (let i = 0; i < w.length; i++) w[i] = word(seq, i);
  return new Uint8Array(w.buffer, 0, len);
}

/** Checks records in order against the same PRNG stream the producer used for sizes. */
export class Verifier {
  count = 0;
  bad = 0;
  checksum = 0;
  firstBad = "";
  readonly #rng: Rng;
  readonly #minLen: number;
  readonly #maxLen: number;
  #d: Int32Array | undefined;

  constructor(seed: number, minLen: number, maxLen: number) {
    this.#rng = new Rng(seed);
    this.#minLen = minLen;
    this.#maxLen = maxLen;
  }

  readonly onRecord = (bytes: Uint8Array, off: number, len: number): void => {
    const seq = this.count++;
    const want = this.#rng.int(this.#minLen, this.#maxLen);
    this.checksum = mix(this.checksum, seq, len);
    let ok = len === want;
    if (ok) {
      const d = (this.#d ??= new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2));
      const base = off >> 2;
      const full = len >> 2;
      for (let i = 0; i < full; i++) {
        if (d[base + i] !== word(seq, i)) {
          ok = false;
          break;
        }
      }
      const last = word(seq, full);
      for (let j = 0; ok && j < (len & 3); j++) if (bytes[off + full * 4 + j] !== ((last >>> (8 * j)) & 0xff)) ok = false;
    }
    if (!ok) {
      if (this.bad++ === 0) this.firstBad = `record ${seq}: len ${len}, expected ${want}`;
    }
  };
}
