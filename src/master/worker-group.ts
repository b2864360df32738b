/**
 * @module master/worker-group
 * A set of supervised Bun Workers of one kind (I/O threads, handler threads): starts them, replaces one that dies
 * (RestartPolicy: exponential back-off, a log line with the exit code and the error, no more restarts in a crash
 * loop), and stops them on shutdown with a bounded wait. What a worker is told at start is the caller's business
 * (`startMessage`), so a replacement can be handed fresh resources.
 */
import { ErrorCodes, GrocketdError, type ErrorCode } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { FromThread, StopMode } from "../io/messages.ts";
import type { RestartPolicy } from "./restart-policy.ts";

export interface WorkerGroupOptions {
  /** "I/O thread", "handler thread": used in log lines. */
  readonly label: string;
  readonly url: string;
  readonly log: Logger;
  /** The start message for worker `index`; `restart` is true for a replacement. */
  startMessage(index: number, restart: boolean): unknown;
  /** A replacement is about to be started (e.g. to hand out fresh rings); runs before startMessage. */
  beforeRestart?(index: number): void;
  readonly policy: RestartPolicy;
  /** Worker `index` is in a crash loop and will not be restarted. */
  onGiveUp?(index: number): void;
  /** Worker `index` died unexpectedly (called at once, before any restart back-off or giving up). */
  onDied?(index: number): void;
}

interface Handle {
  readonly index: number;
  readonly worker: Worker;
  listening: boolean;
  stopping: boolean;
  exited: boolean;
  readonly startedAt: number;
  readonly restarted: boolean;
  lastError: string | undefined;
  onListening?: (ports: number[]) => void;
  /** `code`: the thread's own error code (start-failed carries it), e.g. GRK_ERR_LISTEN. */
  onFailed?: (message: string, code?: ErrorCode) => void;
  onStopped?: () => void;
  restartTimer?: ReturnType<typeof setTimeout>;
}

export class WorkerGroup {
  private readonly handles: Handle[] = [];
  private stopping = false;
  private started = false;

  constructor(private readonly opts: WorkerGroupOptions) {}

  get size(): number {
    return this.handles.length;
  }

  /** Starts worker `index` and resolves with what it reports once ready (the ports it listens on). */
  startOne(index: number): Promise<number[]> {
    const h = this.spawn(index, false);
    return new Promise((resolve, reject) => {
      h.onListening = resolve;
      h.onFailed = (message, code = ErrorCodes.THREAD_START) => reject(new GrocketdError(code, `${this.opts.label} ${index} could not start: ${message}`));
    });
  }

  /** After the initial start: from now on a dying worker is replaced instead of failing the start. */
  markStarted(): void {
    this.started = true;
  }

  /** Sends a control message to worker `index` (if it is alive; a replacement gets its news at start). */
  sendTo(index: number, msg: unknown): void {
    try {
      this.handles[index]?.worker.postMessage(msg);
    } catch {
      // gone: its replacement is started with the current state
    }
  }

  /** Sends a control message to every worker (see sendTo). */
  sendToAll(msg: unknown): void {
    for (let i = 0; i < this.handles.length; i++) this.sendTo(i, msg);
  }

  /** Workers that are alive and not given up on. */
  get alive(): number {
    return this.handles.filter((h) => h !== undefined && !this.gaveUp.has(h.index)).length;
  }

  private readonly gaveUp = new Set<number>();

  private spawn(index: number, restart: boolean): Handle {
    const worker = new Worker(this.opts.url);
    const h: Handle = { index, worker, listening: false, stopping: false, exited: false, startedAt: performance.now(), restarted: restart, lastError: undefined };
    this.handles[index] = h;
    worker.addEventListener("message", (ev: MessageEvent<FromThread>) => this.onMessage(h, ev.data));
    worker.addEventListener("error", (ev) => {
      h.lastError = (ev as ErrorEvent).message;
    });
    worker.addEventListener("close", (ev) => this.onExit(h, (ev as CloseEvent & { code?: number }).code ?? 0));
    worker.postMessage(this.opts.startMessage(index, restart));
    return h;
  }

  private onMessage(h: Handle, m: FromThread): void {
    if (this.handles[h.index] !== h) return;
    if (m.t === "listening") {
      h.listening = true;
      if (h.restarted) this.opts.log.info(`${this.opts.label} ${h.index} is serving again`);
      h.onListening?.(m.ports);
    } else if (m.t === "start-failed") {
      h.lastError = m.message;
      if (h.onFailed) h.onFailed(m.message, m.code as ErrorCode);
      else this.opts.log.error(`${this.opts.label} ${h.index} could not start`, { code: m.code, error: m.message });
      h.worker.terminate();
    } else if (m.t === "stopped") {
      h.onStopped?.();
    }
  }

  private onExit(h: Handle, code: number): void {
    h.exited = true;
    if (this.handles[h.index] !== h) return;
    if (h.stopping || this.stopping) {
      h.onStopped?.();
      return;
    }
    if (!this.started) {
      h.onFailed?.(h.lastError ?? `exited with code ${code}`);
      return;
    }
    this.opts.onDied?.(h.index);
    const d = this.opts.policy.died(h.index, performance.now() - h.startedAt);
    if (!d.restart) {
      this.gaveUp.add(h.index);
      this.opts.log.error(`${this.opts.label} ${h.index} exited ${d.deaths} times within the restart window: crash loop, not restarting it`, {
        code,
        error: h.lastError,
      });
      this.opts.onGiveUp?.(h.index);
      return;
    }
    this.opts.log.warn(`${this.opts.label} ${h.index} exited unexpectedly; restarting in ${d.delay} ms`, {
      code,
      error: h.lastError,
      restarts_in_a_row: d.inARow,
    });
    h.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.opts.beforeRestart?.(h.index);
      this.spawn(h.index, true);
    }, d.delay);
  }

  /** Asks every worker to drain and stop; waits for them, cutting stragglers after drainMs plus a grace period. */
  async stop(drainMs: number, mode: StopMode = "stop"): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const h of this.handles) {
      if (!h) continue;
      clearTimeout(h.restartTimer);
      if (h.exited) continue; // died and not (yet) replaced: nothing to drain
      h.stopping = true;
      waits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.opts.log.warn(`${this.opts.label} ${h.index} did not stop in time; terminating it`);
            resolve();
          }, drainMs + 3000);
          h.onStopped = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      );
      try {
        h.worker.postMessage({ t: "stop", drainMs, mode });
      } catch {
        h.onStopped?.();
      }
    }
    await Promise.all(waits);
    for (const h of this.handles) h?.worker.terminate();
  }
}
