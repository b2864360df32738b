/**
 * @module module/counters
 * Counters that modules increment through the runtime library (`ctx.grocketd.counter("hits").add()`). One registry
 * per thread. Given the thread's stats slot, each counter's value lives in shared memory (one writer: this thread),
 * so the status listener reads it live with no message; `add` stays one typed-array increment. Without a slot
 * (the master, tests) or once the slot's name table is full, the value lives in a cell of its own. `snapshot()` is
 * what the thread logs at `term`.
 */
import { grocketdError } from "../errors.ts";
import type { StatsSlot } from "../stats/stats-slot.ts";
import type { Counter } from "./library-types.ts";

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/;

class ThreadCounter implements Counter {
  constructor(
    readonly name: string,
    private readonly cells: Float64Array,
    private readonly i: number,
  ) {}
  add(n = 1): void {
    this.cells[this.i] += n;
  }
  get value(): number {
    return this.cells[this.i]!;
  }
}

export class CounterRegistry {
  private readonly byKey = new Map<string, ThreadCounter>();

  constructor(private readonly slot?: StatsSlot) {}

  /** The counter `<module>.<name>`, made on first use; the same object on every later call. */
  get(module: string, name: string): Counter {
    const key = `${module}.${name}`;
    let c = this.byKey.get(key);
    if (c) return c;
    if (!NAME_RE.test(name)) {
      throw grocketdError("GRK_ERR_LIBRARY", "counterName", { module, name: JSON.stringify(name) });
    }
    // In the slot, a tab separates module and counter: both names may contain dots.
    const i = this.slot?.moduleCounter(`${module}\t${name}`) ?? -1;
    c = i >= 0 ? new ThreadCounter(key, this.slot!.moduleValues, i) : new ThreadCounter(key, new Float64Array(1), 0);
    this.byKey.set(key, c);
    return c;
  }

  /** Every counter of this thread as `{ "<module>.<name>": value }`, in creation order. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, c] of this.byKey) out[k] = c.value;
    return out;
  }
}
