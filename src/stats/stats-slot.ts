/**
 * @module stats/stats-slot
 * One thread's slot in a SharedArrayBuffer of counters, allocated by the process that runs the thread (see
 * stats-registry.ts) and summed by it for the status listener. Layout of a slot, all little-endian, 8-byte aligned:
 *
 *   fixed fields     FIXED_FIELDS x f64    (stat-fields.ts)
 *   module counters  MODULE_COUNTERS x f64 (`ctx.grocketd.counter(name)`, in order of first use)
 *   name count       i32 (+ 4 bytes pad)   published with Atomics.store after the name is written
 *   names            MODULE_COUNTERS x NAME_BYTES: 1 length byte, then the UTF-8 of "<module>\t<counter>"
 *   listener count   i32 (+ 4 bytes pad)   HTTP listeners with a duration histogram, published like the names
 *   listener names   MAX_LISTENERS x NAME_BYTES: the listener's URL (actual port)
 *   durations        MAX_LISTENERS x LISTENER_F64 (stats/duration-histogram.ts)
 *
 * Why no Atomics on the values: each slot has exactly one writer (its thread), increments are plain `+=` on a
 * Float64Array (as cheap as a local one in JSC, measured), and the reader only wants an approximate, recent value.
 * Aligned 8-byte loads and stores do not tear on x86-64 or arm64, and f64 counts integers exactly up to 2^53, so a
 * reader sees some recent value of each counter, never a mix. Counter names do need ordering (a name must be
 * complete before the reader trusts it): the count is published with Atomics.store and read with Atomics.load.
 */

import { LISTENER_F64, MAX_LISTENERS } from "./duration-histogram.ts";
import { FIXED_FIELDS, GAUGES } from "./stat-fields.ts";

/** Module counters per thread that reach the status listener; further ones are still counted and logged at term. */
export const MODULE_COUNTERS = 64;
/** Bytes per counter name, its length byte included: "<module>\t<counter>" is at most 64 + 1 + 64 bytes. */
export const NAME_BYTES = 136;

const VALUES_OFF = FIXED_FIELDS * 8;
const COUNT_OFF = VALUES_OFF + MODULE_COUNTERS * 8;
const NAMES_OFF = COUNT_OFF + 8;
const LCOUNT_OFF = NAMES_OFF + MODULE_COUNTERS * NAME_BYTES;
const LNAMES_OFF = LCOUNT_OFF + 8;
const DURATIONS_OFF = LNAMES_OFF + MAX_LISTENERS * NAME_BYTES;
export const SLOT_BYTES = DURATIONS_OFF + MAX_LISTENERS * LISTENER_F64 * 8;

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
  /** Request-duration histograms of the thread's HTTP listeners (duration-histogram.ts), by durationListener(). */
  readonly durations: Float64Array;
  private readonly count: Int32Array;
  private readonly names: Uint8Array;
  private readonly listenerCount: Int32Array;
  private readonly listenerNames: Uint8Array;

  private constructor(sab: SharedArrayBuffer, slot: number) {
    const base = slot * SLOT_BYTES;
    this.fields = new Float64Array(sab, base, FIXED_FIELDS);
    this.moduleValues = new Float64Array(sab, base + VALUES_OFF, MODULE_COUNTERS);
    this.count = new Int32Array(sab, base + COUNT_OFF, 1);
    this.names = new Uint8Array(sab, base + NAMES_OFF, MODULE_COUNTERS * NAME_BYTES);
    this.listenerCount = new Int32Array(sab, base + LCOUNT_OFF, 1);
    this.listenerNames = new Uint8Array(sab, base + LNAMES_OFF, MAX_LISTENERS * NAME_BYTES);
    this.durations = new Float64Array(sab, base + DURATIONS_OFF, MAX_LISTENERS * LISTENER_F64);
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
    return register(this.count, this.names, MODULE_COUNTERS, key);
  }

  /**
   * The offset in `durations` of HTTP listener `url`'s histogram, registering it on first use (a replacement thread
   * reuses its predecessor's); -1 when MAX_LISTENERS are registered already (that listener's durations go unrecorded).
   */
  durationListener(url: string): number {
    const i = register(this.listenerCount, this.listenerNames, MAX_LISTENERS, url);
    return i < 0 ? -1 : i * LISTENER_F64;
  }

  /** Copies of the fixed fields and the module counters, for the reader. */
  read(): { fields: number[]; modules: Record<string, number>; durations: Record<string, number[]> } {
    const modules: Record<string, number> = {};
    const n = Atomics.load(this.count, 0);
    for (let i = 0; i < n; i++) modules[nameAt(this.names, i)] = this.moduleValues[i]!;
    const durations: Record<string, number[]> = {};
    const l = Atomics.load(this.listenerCount, 0);
    for (let i = 0; i < l; i++) durations[nameAt(this.listenerNames, i)] = Array.from(this.durations.subarray(i * LISTENER_F64, (i + 1) * LISTENER_F64));
    return { fields: Array.from(this.fields), modules, durations };
  }
}

function nameAt(names: Uint8Array, i: number): string {
  const at = i * NAME_BYTES;
  // Decoding needs a copy: TextDecoder refuses views of shared memory.
  return dec.decode(names.slice(at + 1, at + 1 + names[at]!));
}

/** Index of `key` in a name table, appending it (then publishing the count) on first use; -1 when full or too long. */
function register(count: Int32Array, names: Uint8Array, max: number, key: string): number {
  const n = Atomics.load(count, 0);
  for (let i = 0; i < n; i++) if (nameAt(names, i) === key) return i;
  const bytes = enc.encode(key);
  if (n >= max || bytes.length >= NAME_BYTES) return -1;
  const at = n * NAME_BYTES;
  names[at] = bytes.length;
  names.set(bytes, at + 1);
  Atomics.store(count, 0, n + 1);
  return n;
}
