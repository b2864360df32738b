/**
 * @module master/worker-group
 * A set of supervised Bun Workers of one kind (I/O threads, handler threads), one "seat" per index. It starts them,
 * and keeps every seat filled for as long as the server runs:
 * - a worker that dies is replaced after a back-off (RestartPolicy: 100 ms doubling to 30 s); one that keeps dying is
 *   reported as a crash loop (the server is degraded) and still restarted, so one bad request cannot take the
 *   server down for good. Only when every seat has failed to *start* more than `server.restart_limit` times in a
 *   row does the group report that nothing can run (onDead: the master exits 1);
 * - a worker whose heartbeat stops (watchdog.ts: a busy loop) is logged with what it was doing, terminated (its
 *   connections are lost with it) and replaced like a dead one;
 * - a worker that reports an uncaught exception in module code (`faulted`) is recycled: a replacement starts beside
 *   it at once, on the seat's other variant (its own stats slot and
 *   rings), and once the replacement listens the faulted worker is told to stop (`recycled`): it takes no new
 *   connections and serves those it has until they close or server.drain_ms runs out.
 * What a worker is told at start is the caller's business (`startMessage`), so a replacement gets fresh resources.
 */
import { grocketdError, type ErrorCode } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { FromThread, StopMode } from "../io/messages.ts";
import type { HealthBoard } from "../io/thread-health.ts";
import type { RestartDecision, RestartPolicy } from "./restart-policy.ts";
import { Watchdog, type Stall } from "./watchdog.ts";
import { startupMark } from "../log/startup-trace.ts";
import { takeWorker } from "./worker-prewarm.ts";

export interface WorkerGroupOptions {
  /** "I/O thread", "handler thread": used in log lines. */
  readonly label: string;
  readonly url: string;
  readonly log: Logger;
  readonly count: number;
  /** The start message for worker `index`; `restart` is true for a replacement; `variant` 0 or 1 (a recycle starts the replacement on the other). */
  startMessage(index: number, restart: boolean, variant: number): unknown;
  /** A replacement for a dead worker is about to start on the same variant (e.g. to hand out fresh rings). */
  beforeRestart?(index: number, variant: number): void;
  /** A replacement for a faulted worker is about to start beside it on the other variant (overlap only). */
  beforeRecycle?(index: number, variant: number): void;
  /** A worker that drained after a recycle has stopped: what its variant held can go (overlap only). */
  retired?(index: number, variant: number): void;
  /** A worker exited and nothing else uses its variant now (reset its gauges). */
  exited?(index: number, variant: number): void;
  readonly policy: RestartPolicy;
  /** Every seat failed to start more than restart_limit times in a row: nothing of this kind can run. */
  onDead?(): void;
  /** Worker `index` (on `variant`) died unexpectedly (called at once, before any restart back-off). */
  onDied?(index: number, variant: number): void;
  /** server.drain_ms, for the drain of a recycled worker. */
  readonly drainMs: number;
  /** server.start_timeout_ms for replacements (0 = none): a replacement stuck in init is terminated and retried. */
  readonly startTimeoutMs: number;
  /** Heartbeats: the board, server.stall_timeout_ms, the board slot of (index, variant), module names by index. */
  readonly watch?: { board: HealthBoard; timeoutMs: number; slotOf(index: number, variant: number): number; moduleNames: readonly string[] };
}

interface Handle {
  readonly index: number;
  readonly variant: number;
  readonly worker: Worker;
  readonly startedAt: number;
  readonly restarted: boolean;
  listening: boolean;
  stopping: boolean;
  exited: boolean;
  faulted: boolean;
  stalled: Stall | undefined;
  lastError: string | undefined;
  onListening?: (ports: number[]) => void;
  /** `code`: the thread's own error code (start-failed carries it), e.g. GRK_ERR_LISTEN. */
  onFailed?: (message: string, code?: ErrorCode) => void;
  onStopped?: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

interface Seat {
  readonly index: number;
  /** The worker serving (or starting, after a death). */
  current: Handle | undefined;
  /** A replacement starting beside a faulted `current`. */
  next: Handle | undefined;
  /** Recycled workers draining. */
  readonly retiring: Set<Handle>;
  timer?: ReturnType<typeof setTimeout>;
  /** When the pending restart is due (performance.now()), while one is. */
  restartAt: number;
  /** Starts in a row that ended before the worker listened. */
  failedStarts: number;
  crashLoop: boolean;
}

/** What /readyz needs from one group. */
export interface GroupHealth {
  readonly total: number;
  /** Seats whose worker listens now (a faulted one still serving counts; a stalled one does not). */
  readonly serving: number;
  readonly stalled: boolean;
  readonly problems: readonly string[];
}

export class WorkerGroup {
  private readonly seats: Seat[] = [];
  private stopping = false;
  private started = false;
  private readonly dog: Watchdog<Handle> | undefined;

  constructor(private readonly opts: WorkerGroupOptions) {
    for (let i = 0; i < opts.count; i++) this.seats.push({ index: i, current: undefined, next: undefined, retiring: new Set(), restartAt: 0, failedStarts: 0, crashLoop: false });
    const w = opts.watch;
    if (w && w.timeoutMs > 0) this.dog = new Watchdog(w.board, w.timeoutMs, w.moduleNames, (h, s) => this.onStall(h, s));
  }

  /** Starts worker `index` and resolves with what it reports once ready (the ports it listens on). */
  startOne(index: number): Promise<number[]> {
    const h = this.spawn(this.seats[index]!, false, 0, false);
    return new Promise((resolve, reject) => {
      h.onListening = resolve;
      h.onFailed = (reason, code) => reject(grocketdError("GRK_ERR_THREAD_START", "thread", { label: this.opts.label, index, reason }, code === undefined ? undefined : { code }));
    });
  }

  /** After the initial start: from now on a dying worker is replaced instead of failing the start. */
  markStarted(): void {
    this.started = true;
  }

  /** The variant worker `index` serves on now (0 before it started). */
  variantOf(index: number): number {
    return this.seats[index]?.current?.variant ?? 0;
  }

  /** Variants of `index` that have a live worker (serving, starting, or draining after a recycle). */
  liveVariants(index: number): number[] {
    return [...new Set(this.live(this.seats[index]!).map((h) => h.variant))];
  }

  /** Sends a control message to worker `index` (current and starting replacement; `variant`: only that one). */
  sendTo(index: number, msg: unknown, variant?: number): void {
    const s = this.seats[index];
    if (!s) return;
    for (const h of this.live(s)) if ((variant === undefined ? h !== undefined && !s.retiring.has(h) : h.variant === variant)) post(h, msg);
  }

  /** Sends a control message to every live worker, draining ones included. */
  sendToAll(msg: unknown): void {
    for (const s of this.seats) for (const h of this.live(s)) post(h, msg);
  }

  private live(s: Seat): Handle[] {
    return [s.current, s.next, ...s.retiring].filter((h): h is Handle => h !== undefined && !h.exited);
  }

  health(): GroupHealth {
    const problems: string[] = [];
    let serving = 0;
    let stalled = false;
    const now = performance.now();
    for (const s of this.seats) {
      const h = s.current;
      const name = `${this.opts.label} ${s.index}`;
      if (h?.stalled && !h.exited) {
        stalled = true;
        problems.push(`${name} stalled (${h.stalled.hook || "outside any connection hook"}), being replaced`);
      } else if (h?.listening && !h.exited) {
        serving++;
        if (h.faulted) problems.push(`${name} is being recycled after an uncaught exception`);
      } else if (s.timer !== undefined && !h) {
        const loop = s.crashLoop ? "crash loop; " : "";
        problems.push(`${name} down (${loop}restarting in ${Math.max(0, Math.round(s.restartAt - now))} ms)`);
      } else {
        problems.push(`${name} starting`);
      }
    }
    return { total: this.seats.length, serving, stalled, problems };
  }

  private spawn(seat: Seat, restart: boolean, variant: number, asNext: boolean): Handle {
    const { worker, prewarmed } = takeWorker(this.opts.url); // started early by src/grocketd.ts, or new
    startupMark(`${this.opts.label} ${seat.index}`, prewarmed ? "spawn-prewarmed" : "spawn");
    const h: Handle = { index: seat.index, variant, worker, startedAt: performance.now(), restarted: restart, listening: false, stopping: false, exited: false, faulted: false, stalled: undefined, lastError: undefined };
    if (asNext) seat.next = h;
    else seat.current = h;
    this.opts.watch?.board.clear(this.opts.watch.slotOf(seat.index, variant));
    worker.addEventListener("message", (ev: MessageEvent<FromThread>) => this.onMessage(seat, h, ev.data));
    worker.addEventListener("error", (ev) => {
      h.lastError = (ev as ErrorEvent).message;
    });
    worker.addEventListener("close", (ev) => this.onExit(seat, h, (ev as CloseEvent & { code?: number }).code ?? 0));
    if (restart && this.opts.startTimeoutMs > 0) {
      h.timer = setTimeout(() => {
        if (h.listening || h.exited) return;
        h.lastError = `did not start within server.start_timeout_ms (${this.opts.startTimeoutMs} ms)`;
        this.opts.log.error(`${this.opts.label} ${seat.index} ${h.lastError}; terminating it`);
        worker.terminate();
      }, this.opts.startTimeoutMs);
    }
    worker.postMessage(this.opts.startMessage(seat.index, restart, variant));
    return h;
  }

  private onMessage(seat: Seat, h: Handle, m: FromThread): void {
    if (m.t === "stopped") {
      h.onStopped?.();
      // A recycled worker is done: nothing else ends its thread (a handler's event loop may stay alive).
      if (seat.retiring.has(h) || (h.faulted && !this.stopping)) h.worker.terminate();
      return;
    }
    if (h !== seat.current && h !== seat.next) return;
    if (m.t === "listening") {
      clearTimeout(h.timer);
      h.listening = true;
      startupMark(`${this.opts.label} ${h.index}`, "listening-reported");
      seat.failedStarts = 0;
      if (h === seat.next) {
        const old = seat.current;
        seat.current = h;
        seat.next = undefined;
        if (old && !old.exited) this.retire(seat, old);
      }
      if (h.restarted) this.opts.log.info(`${this.opts.label} ${h.index} is serving again`);
      const w = this.opts.watch;
      if (w) this.dog?.watch(h, w.slotOf(h.index, h.variant));
      h.onListening?.(m.ports);
    } else if (m.t === "start-failed") {
      h.lastError = m.message;
      if (h.onFailed) h.onFailed(m.message, m.code as ErrorCode);
      else this.opts.log.error(`${this.opts.label} ${h.index} could not start`, { code: m.code, error: m.message });
      h.worker.terminate();
    } else if (m.t === "faulted") {
      if (h !== seat.current || h.faulted || h.stopping || this.stopping || !h.listening) return;
      h.faulted = true;
      this.recycle(seat, h, m.message);
    }
  }

  /** Replaces faulted `h` with a worker started beside it. */
  private recycle(seat: Seat, h: Handle, why: string): void {
    const d = this.opts.policy.died(seat.index, performance.now() - h.startedAt);
    this.noteCrashLoop(seat, d);
    const label = `${this.opts.label} ${seat.index}`;
    const delay = d.inARow === 1 ? 0 : d.delay;
    this.opts.log.warn(`${label} had an uncaught exception in module code (${why}); recycling it: a replacement starts ${delay === 0 ? "now" : `in ${delay} ms`}, then this one drains`);
    clearTimeout(seat.timer);
    seat.timer = setTimeout(() => {
      seat.timer = undefined;
      if (this.stopping || seat.current !== h || h.exited) return; // it died meanwhile: the restart path took over
      const v = 1 - h.variant;
      for (const r of seat.retiring) {
        if (r.variant !== v) continue;
        this.opts.log.warn(`${label}: an earlier recycled thread is still draining; cutting it short`);
        seat.retiring.delete(r);
        r.worker.terminate();
        this.opts.retired?.(seat.index, v);
      }
      this.opts.beforeRecycle?.(seat.index, v);
      this.spawn(seat, true, v, true);
    }, delay);
  }

  private retire(seat: Seat, h: Handle): void {
    this.dog?.unwatch(h);
    h.stopping = true;
    seat.retiring.add(h);
    post(h, { t: "stop", drainMs: this.opts.drainMs, mode: "reload" satisfies StopMode, recycled: true });
    h.timer = setTimeout(() => {
      this.opts.log.warn(`${this.opts.label} ${seat.index} (recycled) did not stop in time; terminating it`);
      h.worker.terminate();
    }, this.opts.drainMs + 3000);
  }

  private onStall(h: Handle, s: Stall): void {
    const seat = this.seats[h.index]!;
    if (h !== seat.current || h.stopping || h.exited || this.stopping) return;
    h.stalled = s;
    const where = s.hook === "" ? "outside any connection hook (a timer or promise callback, or between hooks)" : `in ${s.hook}`;
    this.opts.log.error(`${this.opts.label} ${h.index} stalled: no heartbeat for ${s.silentMs} ms (server.stall_timeout_ms ${this.dog!.timeoutMs}) ${where}; terminating it (its connections are lost) and starting a replacement`, {
      modules: this.opts.watch!.moduleNames.join(","),
    });
    this.opts.onDied?.(h.index, h.variant); // the pool stops pinning to it now (again at its exit: idempotent)
    h.worker.terminate();
  }

  private noteCrashLoop(seat: Seat, d: RestartDecision): void {
    if (d.crashLoop && !seat.crashLoop) {
      this.opts.log.error(`${this.opts.label} ${seat.index} is in a crash loop (${d.deaths} deaths within ${this.opts.policy.windowMs} ms): degraded; it is still restarted, with back-off up to 30 s, while the others serve`);
    }
    seat.crashLoop = d.crashLoop;
  }

  private inUse = (seat: Seat, variant: number): boolean => this.live(seat).some((h) => h.variant === variant);

  private onExit(seat: Seat, h: Handle, code: number): void {
    h.exited = true;
    clearTimeout(h.timer);
    this.dog?.unwatch(h);
    const released = () => void (this.inUse(seat, h.variant) || this.opts.exited?.(seat.index, h.variant));
    if (seat.retiring.delete(h)) {
      released();
      this.opts.retired?.(seat.index, h.variant);
      h.onStopped?.();
      return;
    }
    if (h !== seat.current && h !== seat.next) return released();
    if (h.stopping || this.stopping) {
      h.onStopped?.();
      return;
    }
    // During the start, a worker that never listened fails the start; one that listened is replaced like later.
    if (!this.started && !h.listening) {
      h.onFailed?.(h.lastError ?? `exited with code ${code}`);
      return;
    }
    const label = `${this.opts.label} ${seat.index}`;
    const how = h.stalled ? "was terminated after a stall" : "exited unexpectedly";
    if (!h.listening) seat.failedStarts++;
    if (h === seat.next) {
      seat.next = undefined;
      released();
      const old = seat.current;
      if (old && !old.exited) {
        this.opts.log.warn(`${label}: its replacement ${how} before it listened; the faulted thread serves on meanwhile`, { code, error: h.lastError });
        this.recycle(seat, old, "retrying the replacement");
        return;
      }
    } else {
      seat.current = undefined;
      this.opts.onDied?.(seat.index, h.variant);
      released();
      if (seat.next) return; // a replacement is starting already
    }
    const limit = this.opts.policy.limit;
    if (limit > 0 && this.seats.every((s) => s.failedStarts > limit && !s.current?.listening)) {
      this.opts.log.error(`no ${this.opts.label} can start: each failed to start ${limit + 1} times in a row (server.restart_limit ${limit})`, { error: h.lastError });
      this.opts.onDead?.();
      return;
    }
    const d = this.opts.policy.died(seat.index, performance.now() - h.startedAt);
    const delay = d.delay;
    this.opts.log.warn(`${label} ${how}; restarting in ${delay} ms`, { code, error: h.lastError, restarts_in_a_row: d.inARow });
    this.noteCrashLoop(seat, d);
    clearTimeout(seat.timer);
    seat.restartAt = performance.now() + delay;
    seat.timer = setTimeout(() => {
      seat.timer = undefined;
      if (this.stopping) return;
      this.opts.beforeRestart?.(seat.index, h.variant);
      this.spawn(seat, true, h.variant, false);
    }, delay);
  }

  /** Asks every worker to drain and stop; waits for them, cutting stragglers after drainMs plus a grace period. */
  async stop(drainMs: number, mode: StopMode = "stop"): Promise<void> {
    this.stopping = true;
    this.dog?.stop();
    const waits: Promise<void>[] = [];
    const all: Handle[] = [];
    for (const s of this.seats) {
      clearTimeout(s.timer);
      for (const h of this.live(s)) {
        all.push(h);
        const draining = s.retiring.has(h); // told to stop already
        h.stopping = true;
        waits.push(
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              this.opts.log.warn(`${this.opts.label} ${h.index} did not stop in time; terminating it`);
              resolve();
            }, drainMs + 3000);
            const prev = h.onStopped;
            h.onStopped = () => {
              prev?.();
              clearTimeout(timer);
              resolve();
            };
          }),
        );
        if (!draining && !post(h, { t: "stop", drainMs, mode })) h.onStopped?.();
      }
    }
    await Promise.all(waits);
    for (const h of all) h.worker.terminate();
  }
}

function post(h: Handle, msg: unknown): boolean {
  try {
    h.worker.postMessage(msg);
    return true;
  } catch {
    return false; // gone: its replacement is started with the current state
  }
}
