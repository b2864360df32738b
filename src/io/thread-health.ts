/**
 * @module io/thread-health
 * The watchdog's shared memory (master/worker-group.ts reads it): per I/O or handler thread, a heartbeat counter the
 * thread bumps from a timer of its own (I/O threads: the housekeeping tick; handler threads: a timer of the same
 * period), and the code of the module hook it is running right now. A thread stuck in a busy loop runs no timer, so
 * its beat stops moving; the master notices after `server.stall_timeout_ms` and can say which module and which hook
 * the thread was in. A counter, not a timestamp: the master measures the silence with its own clock, so threads need
 * no common time origin.
 *
 * Layout: Int32 × HEALTH_INTS per slot — [0] beat (wraps), [1] hook code (module index × 8 + hook, 0 = none).
 * Each slot has one writer (its thread); plain stores suffice, the reader only compares a beat with the last one.
 */
import type { Conn, ModuleDefinition } from "../module/types.ts";

const HEALTH_INTS = 4;
const BEAT = 0;
const HOOK = 1;

const HOOK_CHECK = 1;
const HOOK_PROC = 2;
const HOOK_HTTP = 3;
const HOOK_ACCEPT = 4;
const HOOK_CLOSE = 5;
const HOOK_NAMES = ["", "check", "proc", "http", "accept", "close"];

/** Where a thread's slot is: what its start message carries. */
export interface HealthRef {
  readonly sab: SharedArrayBuffer;
  readonly slot: number;
}

/** The thread's side: beat and hook code. */
export class HealthSlot {
  private readonly ints: Int32Array;
  private readonly base: number;

  constructor(ref: HealthRef | undefined) {
    this.ints = ref ? new Int32Array(ref.sab) : new Int32Array(HEALTH_INTS);
    this.base = ref ? ref.slot * HEALTH_INTS : 0;
  }

  /**
   * Also clears the hook code: a beat runs between hooks (one thread), so a code left behind by a hook that threw
   * (its caller catches; no try/finally on the data path) is stale by then.
   */
  beat(): void {
    this.ints[this.base + BEAT] = (this.ints[this.base + BEAT]! + 1) | 0;
    this.ints[this.base + HOOK] = 0;
  }

  /** Starts a timer that beats every `ms` (handler threads; I/O threads beat from their housekeeping tick). */
  beatEvery(ms: number): () => void {
    this.beat();
    const t = setInterval(() => this.beat(), ms);
    return () => clearInterval(t);
  }

  /**
   * `def` with its connection hooks wrapped so that the slot names the hook while it runs. Costs two Int32 stores
   * and one extra call per hook call (measured 0–20 ns per check + proc pair in a 5 M-call loop on a loaded
   * machine, against about 5 µs per request per thread in the README's 2-thread TCP figure); a hook that goes async is "in" the hook only for its synchronous part.
   */
  watchHooks<S>(def: ModuleDefinition<S>, moduleIndex: number): ModuleDefinition<S> {
    const ints = this.ints;
    const at = this.base + HOOK;
    const code = (hook: number) => moduleIndex * 8 + hook;
    const out: { -readonly [K in keyof ModuleDefinition<S>]: ModuleDefinition<S>[K] } = { ...def };
    const { check, proc, http, accept, close } = def;
    if (check) {
      const c = code(HOOK_CHECK);
      out.check = (buf: Uint8Array, start: number, end: number, conn: Conn<S>) => {
        ints[at] = c;
        const r = check.call(def, buf, start, end, conn);
        ints[at] = 0;
        return r;
      };
    }
    if (proc) {
      const c = code(HOOK_PROC);
      out.proc = (packet: Uint8Array, conn: Conn<S>) => {
        ints[at] = c;
        const r = proc.call(def, packet, conn);
        ints[at] = 0;
        return r;
      };
    }
    if (http) {
      const c = code(HOOK_HTTP);
      out.http = ((req: never, res: never) => {
        ints[at] = c;
        const r = (http as (a: never, b: never) => unknown).call(def, req, res);
        ints[at] = 0;
        return r;
      }) as typeof http;
    }
    if (accept) {
      const c = code(HOOK_ACCEPT);
      out.accept = (conn: Conn<undefined>) => {
        ints[at] = c;
        const r = accept.call(def, conn);
        ints[at] = 0;
        return r;
      };
    }
    if (close) {
      const c = code(HOOK_CLOSE);
      out.close = (conn: Conn<S>) => {
        ints[at] = c;
        close.call(def, conn);
        ints[at] = 0;
      };
    }
    return out;
  }
}

/** The master's side: reads every thread's slot of one SharedArrayBuffer. */
export class HealthBoard {
  readonly sab: SharedArrayBuffer;
  private readonly ints: Int32Array;

  constructor(slots: number) {
    this.sab = new SharedArrayBuffer(Math.max(1, slots) * HEALTH_INTS * 4);
    this.ints = new Int32Array(this.sab);
  }

  ref(slot: number): HealthRef {
    return { sab: this.sab, slot };
  }

  beatOf(slot: number): number {
    return Atomics.load(this.ints, slot * HEALTH_INTS + BEAT);
  }

  /** "proc of module echo", or "" when the thread is not inside a connection hook (a timer, a promise callback). */
  hookOf(slot: number, moduleNames: readonly string[]): string {
    const code = Atomics.load(this.ints, slot * HEALTH_INTS + HOOK);
    if (code === 0) return "";
    const name = HOOK_NAMES[code % 8] ?? "?";
    return `${name} of module ${moduleNames[(code / 8) | 0] ?? "?"}`;
  }

  /** A slot is reused by a replacement thread: forget what the previous one was doing. */
  clear(slot: number): void {
    Atomics.store(this.ints, slot * HEALTH_INTS + HOOK, 0);
  }
}
