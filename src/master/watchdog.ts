/**
 * @module master/watchdog
 * Notices a thread that stopped beating (io/thread-health.ts): a busy loop in module code runs no timer, so the
 * thread's heartbeat counter stops moving. The master samples the counters on a timer of its own (a quarter of
 * `server.stall_timeout_ms`, 25 ms to 1 s) and measures the silence with its own clock; a thread silent for the
 * whole timeout is reported once, with what it was doing, and the caller terminates and replaces it.
 */
import type { HealthBoard } from "../io/thread-health.ts";

interface Watched {
  readonly slot: number;
  beat: number;
  since: number;
  reported: boolean;
}

export interface Stall {
  readonly silentMs: number;
  /** "proc of module spin", or "" when it was not inside a connection hook. */
  readonly hook: string;
}

export class Watchdog<K> {
  private readonly watched = new Map<K, Watched>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly board: HealthBoard,
    readonly timeoutMs: number,
    private readonly moduleNames: readonly string[],
    private readonly onStall: (key: K, stall: Stall) => void,
  ) {}

  /** Starts watching `key` (a thread that now serves), whose beats are in board slot `slot`. */
  watch(key: K, slot: number): void {
    if (this.timeoutMs <= 0) return;
    this.watched.set(key, { slot, beat: this.board.beatOf(slot), since: performance.now(), reported: false });
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.check(), Math.min(1000, Math.max(25, Math.floor(this.timeoutMs / 4))));
      this.timer.unref?.();
    }
  }

  unwatch(key: K): void {
    this.watched.delete(key);
    if (this.watched.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = performance.now();
    for (const [key, w] of this.watched) {
      const beat = this.board.beatOf(w.slot);
      if (beat !== w.beat) {
        w.beat = beat;
        w.since = now;
        w.reported = false;
      } else if (!w.reported && now - w.since >= this.timeoutMs) {
        w.reported = true;
        this.onStall(key, { silentMs: Math.round(now - w.since), hook: this.board.hookOf(w.slot, this.moduleNames) });
      }
    }
  }
}
