/**
 * @module module/counters
 * Counters that modules increment through the runtime library (`ctx.grocketd.counter("hits").add()`). One registry
 * per thread, never shared, so `add` is a plain field increment; `snapshot()` is what a status endpoint or the
 * master sums across threads (and what the thread logs at `term`).
 */
import { ErrorCodes, GrocketdError } from "../errors.ts";
import type { Counter } from "./library-types.ts";

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/;

class ThreadCounter implements Counter {
  value = 0;
  constructor(readonly name: string) {}
  add(n = 1): void {
    this.value += n;
  }
}

export class CounterRegistry {
  private readonly byKey = new Map<string, ThreadCounter>();

  /** The counter `<module>.<name>`, made on first use; the same object on every later call. */
  get(module: string, name: string): Counter {
    const key = `${module}.${name}`;
    let c = this.byKey.get(key);
    if (c) return c;
    if (!NAME_RE.test(name)) {
      throw new GrocketdError(
        ErrorCodes.LIBRARY,
        `module "${module}": counter name ${JSON.stringify(name)}: expected letters, digits, "_", ".", ":" or "-" (1-64 characters)`,
      );
    }
    c = new ThreadCounter(key);
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
