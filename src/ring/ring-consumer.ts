/**
 * @module ring/ring-consumer
 * A consumer loop that drains a ring on its thread without ever blocking the event loop.
 *
 * Usage:
 *   const consumer = ring.startConsumer((bytes, off, len) => handle(bytes, off, len), { onError: log });
 *   ...
 *   await consumer.stop(); // records already in the ring stay there for the next consumer
 *
 * Each turn polls up to `turnBudget` records; if the ring is still not empty it yields with setImmediate (so
 * timers and sockets on this thread get their turn), otherwise it sleeps with `Atomics.waitAsync` until the
 * producer publishes. While the loop runs it keeps the thread's event loop alive (a pending waitAsync alone does
 * not, in Bun 1.4).
 */

/** Called once per record; `bytes` is the ring's data area, the record is `bytes[off, off + len)`. */
export type RecordHandler = (bytes: Uint8Array, off: number, len: number) => void;

/** What a consumer needs of its ring (ring.ts's Ring), named here so this file does not import ring.ts back. */
export interface ConsumableRing {
  poll(handler: RecordHandler, max?: number): number;
  /** Resolves once the ring may have data (or on wakeConsumer); at once if it has some. */
  sleepForData(): Promise<void>;
  wakeConsumer(): void;
}
import { holdKeepAlive, releaseKeepAlive } from "./ring-wait.ts";

export interface ConsumerOptions {
  /** Records handled per event-loop turn before yielding to other work. Default 4096. */
  turnBudget?: number;
  /**
   * Empty re-polls before going to sleep. Each is one atomic load (~tens of ns); a little spinning saves a futex
   * wake-up (~45 µs) when the producer is streaming. Default 64.
   */
  spin?: number;
  /**
   * Event-loop turns to stay awake after a turn that handled records before sleeping (bounded: the loop sleeps after
   * this many empty turns, so an idle ring costs nothing). What the producer publishes meanwhile is picked up without
   * a wake-up, and the records this turn's handlers sent (flushed once per turn) leave before this side sleeps.
   * Default 0.
   */
  graceTurns?: number;
  /**
   * Called with an error thrown by the handler (that record is dropped) and the loop goes on. Without it the loop
   * stops and `done` rejects with the error.
   */
  onError?: (err: unknown) => void;
}

export interface RingConsumer {
  /** Settles when the loop has stopped: fulfils after `stop()`, rejects if the handler threw without `onError`. */
  readonly done: Promise<void>;
  /** Records handed to the handler so far. */
  readonly processed: number;
  readonly running: boolean;
  /** Stops after the current poll batch (at most `turnBudget` records); resolves like `done`. */
  stop(): Promise<void>;
}

const yieldTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

class ConsumerLoop implements RingConsumer {
  readonly done: Promise<void>;
  processed = 0;
  running = true;
  #stopped = false;
  readonly #ring: ConsumableRing;
  readonly #handler: RecordHandler;
  readonly #budget: number;
  readonly #spin: number;
  readonly #grace: number;
  readonly #onError: ((err: unknown) => void) | undefined;

  constructor(ring: ConsumableRing, handler: RecordHandler, budget: number, spin: number, grace: number, onError?: (err: unknown) => void) {
    this.#ring = ring;
    this.#handler = handler;
    this.#budget = budget;
    this.#spin = spin;
    this.#grace = grace;
    this.#onError = onError;
    this.done = this.#run();
    // Let `done` reject unobserved without an "unhandled rejection" when the caller only uses stop().
    this.done.catch(() => {});
  }

  stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      // The loop is suspended (this thread runs stop): in a turn's yield, or asleep on the ring, which this releases.
      this.#ring.wakeConsumer();
    }
    return this.done;
  }

  async #run(): Promise<void> {
    holdKeepAlive();
    let empty = 0;
    try {
      while (!this.#stopped) {
        let n = 0;
        let idle = 0;
        while (n < this.#budget && !this.#stopped) {
          const k = this.#pollSome(this.#budget - n);
          if (k > 0) {
            n += k;
            idle = 0;
          } else if (++idle > this.#spin) {
            break;
          }
        }
        this.processed += n;
        if (this.#stopped) break;
        if (n > 0) empty = 0;
        if (n >= this.#budget || (n > 0 ? this.#grace > 0 : ++empty < this.#grace)) await yieldTurn();
        else {
          empty = 0;
          await this.#ring.sleepForData();
        }
      }
    } finally {
      this.running = false;
      releaseKeepAlive();
    }
  }

  #pollSome(max: number): number {
    if (this.#onError === undefined) return this.#ring.poll(this.#handler, max);
    try {
      return this.#ring.poll(this.#handler, max);
    } catch (err) {
      this.#onError(err);
      return 1;
    }
  }
}

export function startRingConsumer(ring: ConsumableRing, handler: RecordHandler, options: ConsumerOptions = {}): RingConsumer {
  const budget = Math.max(1, Math.floor(options.turnBudget ?? 4096));
  const spin = Math.max(0, Math.floor(options.spin ?? 64));
  const grace = Math.max(0, Math.floor(options.graceTurns ?? 0));
  return new ConsumerLoop(ring, handler, budget, spin, grace, options.onError);
}
