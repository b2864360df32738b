/**
 * @module ring/ring-layout
 * The shared-memory layout of a ring (the "ABI" two threads agree on), and its validation on attach.
 *
 *   bytes 0..63     line 0: magic, layout version, capacity (written once by `create`, read-only afterwards)
 *   bytes 64..127   line 1: head (producer position), records pushed, consumer wake-ups sent   (producer writes)
 *   bytes 128..191  line 2: tail (consumer position), records popped, producer wake-ups sent   (consumer writes)
 *   bytes 192..255  line 3: "consumer sleeping" flag    (consumer sets, producer clears)
 *   bytes 256..319  line 4: "producer waiting" flag     (producer sets, consumer clears)
 *   bytes 320..     data area of `capacity` bytes (a power of two)
 *
 * Each writer owns its own 64-byte line so the two threads do not bounce one cache line on every record. The flags
 * get lines of their own because the other side reads them once per commit/batch: a line that is rarely written
 * stays shared in both caches and such a read costs about as much as a plain load.
 *
 * head and tail are free-running int32 byte counters (wrapping at 2^32, a multiple of any power-of-two capacity),
 * so `(head - tail) | 0` is the used byte count and `pos & (capacity - 1)` the offset in the data area.
 *
 * Records in the data area: an 8-byte header (int32 payload length, int32 reserved) then the payload, padded to a
 * multiple of 8 so every header and payload is 8-byte aligned. A length of WRAP_MARKER means "the rest of the area
 * up to its end is padding; continue at offset 0".
 */
import { ringError, type RingError } from "./ring-errors.ts";

/** "GRKR": tells a ring SAB from any other SharedArrayBuffer. */
export const RING_MAGIC = 0x4752_4b52;
/** Bump when anything in this file changes meaning; attach refuses other versions. */
export const RING_LAYOUT_VERSION = 1;

export const CACHE_LINE = 64;
export const RING_HEADER_BYTES = 5 * CACHE_LINE;
export const RECORD_HEADER_BYTES = 8;
export const WRAP_MARKER = -1;

export const MIN_CAPACITY = 64;
export const MAX_CAPACITY = 2 ** 30;

/** Int32 indices into the header. */
export const I_MAGIC = 0;
export const I_VERSION = 1;
export const I_CAPACITY = 2;
export const I_HEAD = 16;
export const I_PUSHED = 17;
export const I_CONSUMER_WAKEUPS = 18;
export const I_TAIL = 32;
export const I_POPPED = 33;
export const I_PRODUCER_WAKEUPS = 34;
export const I_CONSUMER_SLEEPING = 48;
export const I_PRODUCER_WAITING = 64;

/** Offsets of a thread's ring counters in its owner's fields (Ring#countInto): records polled, wake-ups, notifies. */
export const C_POLLED = 0;
export const C_WAKEUPS = 1;
export const C_NOTIFIES = 2;

/** Bytes a record of `len` payload bytes occupies, header and padding included. */
export function recordSize(len: number): number {
  return (RECORD_HEADER_BYTES + len + 7) & ~7;
}

/** Rounds a requested capacity up to the power of two the ring uses; throws GRK_ERR_RING_BAD_CAPACITY. */
export function normalizeCapacity(capacityBytes: number): number {
  if (!Number.isInteger(capacityBytes) || capacityBytes < 1 || capacityBytes > MAX_CAPACITY) {
    throw ringError("GRK_ERR_RING_BAD_CAPACITY", "capacity", { max: MAX_CAPACITY, got: capacityBytes });
  }
  let cap = MIN_CAPACITY;
  while (cap < capacityBytes) cap *= 2;
  return cap;
}

/** Allocates and stamps a ring SAB. */
export function allocateRing(capacity: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
  const h = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  Atomics.store(h, I_CAPACITY, capacity);
  Atomics.store(h, I_VERSION, RING_LAYOUT_VERSION);
  // Magic last: a reader that sees it sees the rest.
  Atomics.store(h, I_MAGIC, RING_MAGIC);
  return sab;
}

/** Checks that `sab` is a ring of this layout; returns its capacity. Throws GRK_ERR_RING_BAD_LAYOUT. */
export function validateRing(sab: SharedArrayBuffer): number {
  const bad = (why: string): RingError => ringError("GRK_ERR_RING_BAD_LAYOUT", "layout", { version: RING_LAYOUT_VERSION, why });
  if (!(sab instanceof SharedArrayBuffer)) throw bad("expected a SharedArrayBuffer");
  if (sab.byteLength < RING_HEADER_BYTES + MIN_CAPACITY) throw bad(`buffer of ${sab.byteLength} bytes is too small`);
  const h = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  const magic = Atomics.load(h, I_MAGIC);
  if (magic !== RING_MAGIC) throw bad(`magic is 0x${(magic >>> 0).toString(16)}, expected 0x${RING_MAGIC.toString(16)}`);
  const version = Atomics.load(h, I_VERSION);
  if (version !== RING_LAYOUT_VERSION) throw bad(`layout version ${version}, this runtime reads ${RING_LAYOUT_VERSION}`);
  const cap = Atomics.load(h, I_CAPACITY);
  if (cap < MIN_CAPACITY || cap > MAX_CAPACITY || (cap & (cap - 1)) !== 0) throw bad(`capacity ${cap} is not valid`);
  if (sab.byteLength !== RING_HEADER_BYTES + cap) {
    throw bad(`buffer is ${sab.byteLength} bytes, expected ${RING_HEADER_BYTES + cap} for capacity ${cap}`);
  }
  return cap;
}
