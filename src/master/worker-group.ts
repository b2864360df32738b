/**
 * @module master/worker-group
 * A set of supervised Bun Workers of one kind (I/O threads, handler threads): starts them, replaces one that dies
 * (exponential back-off from 100 ms to 30 s, reset once a worker has lived 10 s, a log line with the exit code and
 * the error), and stops them on shutdown with a bounded wait. What a worker is told at start is the caller's
 * business (`startMessage`), so a replacement can be handed fresh resources.
 */
import { ErrorCodes, GrocketdError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { FromThread } from "../io/messages.ts";

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 30_000;
/** A worker that lived this long is healthy again: its next crash restarts after the shortest delay. */
const STABLE_MS = 10_000;

export interface WorkerGroupOptions {
  /** "I/O thread", "handler thread": used in log lines. */
  readonly label: string;
  readonly url: string;
  readonly log: Logger;
  /** The start message for worker `index`; `restart` is true for a replacement. */
  startMessage(index: number, restart: boolean): unknown;
  /** A replacement is about to be started (e.g. to hand out fresh rings); runs before startMessage. */
  beforeRestart?(index: number): void;
}

interface Handle {
  readonly index: number;
  readonly worker: Worker;
  listening: boolean;
  stopping: boolean;
  readonly startedAt: number;
  readonly failures: number;
  lastError: string | undefined;
  onListening?: (ports: number[]) => void;
  onFailed?: (message: string) => void;
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
    const h = this.spawn(index, 0, false);
    return new Promise((resolve, reject) => {
      h.onListening = resolve;
      h.onFailed = (message) => reject(new GrocketdError(ErrorCodes.THREAD_START, `${this.opts.label} ${index} could not start: ${message}`));
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

  private spawn(index: number, failures: number, restart: boolean): Handle {
    const worker = new Worker(this.opts.url);
    const h: Handle = { index, worker, listening: false, stopping: false, startedAt: performance.now(), failures, lastError: undefined };
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
      if (h.failures > 0) this.opts.log.info(`${this.opts.label} ${h.index} is serving again`);
      h.onListening?.(m.ports);
    } else if (m.t === "start-failed") {
      h.lastError = m.message;
      if (h.onFailed) h.onFailed(m.message);
      else this.opts.log.error(`${this.opts.label} ${h.index} could not start`, { error: m.message });
      h.worker.terminate();
    } else if (m.t === "stopped") {
      h.onStopped?.();
    }
  }

  private onExit(h: Handle, code: number): void {
    if (this.handles[h.index] !== h) return;
    if (h.stopping || this.stopping) {
      h.onStopped?.();
      return;
    }
    if (!this.started) {
      h.onFailed?.(h.lastError ?? `exited with code ${code}`);
      return;
    }
    const lived = performance.now() - h.startedAt;
    const failures = lived >= STABLE_MS ? 1 : h.failures + 1;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1));
    this.opts.log.warn(`${this.opts.label} ${h.index} exited unexpectedly; restarting in ${delay} ms`, {
      code,
      error: h.lastError,
      restarts_in_a_row: failures,
    });
    h.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.opts.beforeRestart?.(h.index);
      this.spawn(h.index, failures, true);
    }, delay);
  }

  /** Asks every worker to drain and stop; waits for them, cutting stragglers after drainMs plus a grace period. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const h of this.handles) {
      if (!h) continue;
      clearTimeout(h.restartTimer);
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
        h.worker.postMessage({ t: "stop", drainMs });
      } catch {
        h.onStopped?.();
      }
    }
    await Promise.all(waits);
    for (const h of this.handles) h?.worker.terminate();
  }
}
