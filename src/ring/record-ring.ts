/**
 * @module ring/record-ring
 * A thin typed layer over a Ring: every record starts with a fixed number of int32 fields (for the handler pool:
 * connection id, sequence, kind, flags ...) followed by the payload bytes. The ring itself stays bytes in, bytes out.
 *
 * Usage (both sides must agree on `fieldCount`):
 *   const tx = new RecordRing(Ring.create(1 << 20), 3);
 *   tx.push([conn, seq, KIND_TCP], packet);                 // false when full
 *   const at = tx.reserve([conn, seq, KIND_TCP], 100);      // zero-copy payload at tx.ring.bytes[at..]
 *   if (at >= 0) { tx.ring.bytes.set(body, at); tx.commit(); }
 *
 *   const rx = new RecordRing(Ring.attach(sab), 3);
 *   rx.poll((fields, bytes, off, len) => reply(fields[0], fields[1], bytes.subarray(off, off + len)));
 *
 * The fields area is padded to 8 bytes, so payloads stay 8-byte aligned.
 */
import { RECORD_HEADER_BYTES } from "./ring-layout.ts";
import { recordTooLarge, ringError } from "./ring-errors.ts";
import type { Ring } from "./ring.ts";
import { copyBytes } from "./copy-bytes.ts";

/** `fields` is a scratch array reused for every record: valid only during the call, like the payload view. */
export type FieldRecordHandler = (fields: Int32Array, bytes: Uint8Array, off: number, len: number) => void;

const noHandler: FieldRecordHandler = () => {};

export class RecordRing {
  readonly ring: Ring;
  readonly fieldCount: number;
  /** Bytes the fields take at the start of each record (fieldCount * 4, rounded up to 8). */
  readonly fieldBytes: number;
  /** Largest payload a record can carry. */
  readonly maxPayloadBytes: number;

  readonly #d: Int32Array;
  readonly #fields: Int32Array;
  readonly #inner: (bytes: Uint8Array, off: number, len: number) => void;
  #handler: FieldRecordHandler = noHandler;

  constructor(ring: Ring, fieldCount: number) {
    if (!Number.isInteger(fieldCount) || fieldCount < 0 || fieldCount > 64) {
      throw ringError("GRK_ERR_RING_BAD_RANGE", "fieldCount", { got: fieldCount });
    }
    this.ring = ring;
    this.fieldCount = fieldCount;
    this.fieldBytes = (fieldCount * 4 + 7) & ~7;
    this.maxPayloadBytes = ring.maxRecordBytes - this.fieldBytes;
    this.#d = new Int32Array(ring.bytes.buffer, ring.bytes.byteOffset, ring.capacity >>> 2);
    this.#fields = new Int32Array(fieldCount);
    // One closure for the life of the object, so poll() allocates nothing per call.
    this.#inner = (bytes, off, len) => {
      if (len < this.fieldBytes) {
        throw ringError("GRK_ERR_RING_BAD_LAYOUT", "shortRecord", { len, fieldBytes: this.fieldBytes });
      }
      const d = this.#d;
      const f = this.#fields;
      const base = off >> 2;
      for (let i = 0; i < f.length; i++) f[i] = d[base + i]!;
      this.#handler(f, bytes, off + this.fieldBytes, len - this.fieldBytes);
    };
  }

  /**
   * Reserves a record with these field values and room for `len` payload bytes; returns the payload offset in
   * `ring.bytes`, or -1 when full. Publish with `commit(len?)` (len = payload bytes actually written).
   */
  reserve(fields: ArrayLike<number>, len: number): number {
    if (fields.length !== this.fieldCount) this.#badFields(fields.length);
    if (len > this.maxPayloadBytes) throw recordTooLarge(len, this.maxPayloadBytes, this.ring.capacity);
    const at = this.ring.reserve(this.fieldBytes + len);
    if (at < 0) return -1;
    const d = this.#d;
    const base = at >> 2;
    for (let i = 0; i < fields.length; i++) d[base + i] = fields[i]!;
    return at + this.fieldBytes;
  }

  commit(len?: number): void {
    this.ring.commit(len === undefined ? undefined : this.fieldBytes + len);
  }

  /** Copies the fields and `payload[off, off + len)` into one record; false when full. */
  push(fields: ArrayLike<number>, payload?: Uint8Array, off = 0, len: number = (payload?.length ?? 0) - off): boolean {
    if (payload === undefined) len = 0;
    else if (!(off >= 0 && len >= 0 && off + len <= payload.length)) {
      throw ringError("GRK_ERR_RING_BAD_RANGE", "payload", { off, len, size: payload.length });
    }
    const at = this.reserve(fields, len);
    if (at < 0) return false;
    if (payload !== undefined) copyBytes(this.ring.bytes, at, payload, off, len);
    this.ring.commit();
    return true;
  }

  /** Like `Ring.poll`, with the record's fields decoded into a reused Int32Array. */
  poll(handler: FieldRecordHandler, max?: number): number {
    this.#handler = handler;
    try {
      return this.ring.poll(this.#inner, max);
    } finally {
      this.#handler = noHandler;
    }
  }

  #badFields(got: number): never {
    throw ringError("GRK_ERR_RING_BAD_RANGE", "fields", { want: this.fieldCount, got });
  }
}

/** Bytes one RecordRing record of `fieldCount` fields and `payloadLen` bytes occupies in the ring. */
export function recordRingSize(fieldCount: number, payloadLen: number): number {
  return (RECORD_HEADER_BYTES + ((fieldCount * 4 + 7) & ~7) + payloadLen + 7) & ~7;
}
