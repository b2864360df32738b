/**
 * @module stats/stats-slot
 * One thread's slot in a SharedArrayBuffer of counters, allocated by the process that runs the thread (see
 * stats-registry.ts) and summed by it for the status listener. Layout of a slot, all little-endian, 8-byte aligned:
 *
 *   fixed fields     FIXED_FIELDS x f64    (stat-fields.ts)
 *   module counters  MODULE_COUNTERS x f64 (`ctx.grocketd.counter(name)`, in order of first use)
 *   name count       i32 (+ 4 bytes pad)   published with Atomics.store after the name is written
 *   names            MODULE_COUNTERS x NAME_BYTES: 1 length byte, then the UTF-8 of "<module>\t<counter>"
 *
 * Why no Atomics on the values: each slot has exactly one writer (its thread), increments are plain `+=` on a
 * Float64Array (as cheap as a local one in JSC, measured), and the reader only wants an approximate, recent value.
 * Aligned 8-byte loads and stores do not tear on x86-64 or arm64, and f64 counts integers exactly up to 2^53, so a
 * reader sees some recent value of each counter, never a mix. Counter names do need ordering (a name must be
 * complete before the reader trusts it): the count is published with Atomics.store and read with Atomics.load.
 */

import { FIXED_FIELDS, GAUGES } from "./stat-fields.ts";

/** Module counters per thread that reach the status listener; further ones are still counted and logged at term. */
export const MODULE_COUNTERS = 64;
/** Bytes per counter name, its length byte included: "<module>\t<counter>" is at most 64 + 1 + 64 bytes. */
export const NAME_BYTES = 136;

const VALUES_OFF = FIXED_FIELDS * 8;
const COUNT_OFF = VALUES_OFF + MODULE_COUNTERS * 8;
const NAMES_OFF = COUNT_OFF + 8;
export const SLOT_BYTES = NAMES_OFF + MODULE_COUNTERS * NAME_BYTES;

/** Where a thread's slot is: what the start message carries. */
export interface StatsRef {
  readonly sab: SharedArrayBuffer;
  readonly slot: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class StatsSlot {
  /** The fixed fields (stat-fields.ts): the data path increments these directly. */
  readonly fields: Float64Array;
  /** Module counter values, by the index moduleCounter() returned. */
  readonly moduleValues: Float64Array;
  private readonly count: Int32Array;
  private readonly names: Uint8Array;

  private constructor(sab: SharedArrayBuffer, slot: number) {
    const base = slot * SLOT_BYTES;
    this.fields = new Float64Array(sab, base, FIXED_FIELDS);
    this.moduleValues = new Float64Array(sab, base + VALUES_OFF, MODULE_COUNTERS);
    this.count = new Int32Array(sab, base + COUNT_OFF, 1);
    this.names = new Uint8Array(sab, base + NAMES_OFF, MODULE_COUNTERS * NAME_BYTES);
  }

  static attach(ref: StatsRef): StatsSlot {
    return new StatsSlot(ref.sab, ref.slot);
  }

  /** A slot of its own, for a thread started without one (tests, benchmarks): the same code path, nobody reads it. */
  static detached(): StatsSlot {
    return new StatsSlot(new SharedArrayBuffer(SLOT_BYTES), 0);
  }

  /** A replacement thread takes over a dead one's slot: counters carry on, gauges describe the new thread. */
  resetGauges(): void {
    for (const i of GAUGES) this.fields[i] = 0;
  }

  /**
   * The index of module counter `key` ("<module>\t<counter>") in moduleValues, registering the name on first use;
   * a name a previous thread in this slot registered is reused, so its count carries on. -1 when the slot is full.
   */
  moduleCounter(key: string): number {
    const n = Atomics.load(this.count, 0);
    for (let i = 0; i < n; i++) if (this.nameAt(i) === key) return i;
    const bytes = enc.encode(key);
    if (n >= MODULE_COUNTERS || bytes.length >= NAME_BYTES) return -1;
    const at = n * NAME_BYTES;
    this.names[at] = bytes.length;
    this.names.set(bytes, at + 1);
    this.moduleValues[n] = 0;
    Atomics.store(this.count, 0, n + 1);
    return n;
  }

  private nameAt(i: number): string {
    const at = i * NAME_BYTES;
    // Decoding needs a copy: TextDecoder refuses views of shared memory.
    return dec.decode(this.names.slice(at + 1, at + 1 + this.names[at]!));
  }

  /** Copies of the fixed fields and the module counters, for the reader. */
  read(): { fields: number[]; modules: Record<string, number> } {
    const modules: Record<string, number> = {};
    const n = Atomics.load(this.count, 0);
    for (let i = 0; i < n; i++) modules[this.nameAt(i)] = this.moduleValues[i]!;
    return { fields: Array.from(this.fields), modules };
  }
}
