/**
 * @module master/thread-supervisor
 * Starts the I/O threads, replaces one that dies (with exponential back-off, reset once a thread has lived a
 * while), and stops them all on shutdown. Port 0 is resolved by the first thread and the others then bind the same
 * port, so the master itself never touches a socket.
 */
import { ErrorCodes, GrocketdError } from "../errors.ts";
import { withPort } from "../config/listen-url.ts";
import type { Logger } from "../log/logger.ts";
import type { Binding, FromThread, ToThread } from "../io/messages.ts";
import type { StartPlan } from "./start-plan.ts";

const IO_THREAD_URL = new URL("../io/io-thread.ts", import.meta.url).href;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 30_000;
/** A thread that lived this long is healthy again: its next crash restarts after the shortest delay. */
const STABLE_MS = 10_000;

interface ThreadHandle {
  readonly index: number;
  worker: Worker;
  listening: boolean;
  stopping: boolean;
  startedAt: number;
  /** Consecutive quick failures, for the back-off. */
  failures: number;
  lastError: string | undefined;
  onListening?: (ports: number[]) => void;
  onFailed?: (message: string) => void;
  onStopped?: () => void;
  restartTimer?: ReturnType<typeof setTimeout>;
}

export class ThreadSupervisor {
  private readonly threads: ThreadHandle[] = [];
  private bindings: Binding[];
  private stopping = false;
  private started = false;

  constructor(
    private readonly plan: StartPlan,
    private readonly log: Logger,
  ) {
    this.bindings = [...plan.bindings];
  }

  /** Listen entries with their actual ports, once start() has resolved. */
  get resolvedBindings(): readonly Binding[] {
    return this.bindings;
  }

  get threadCount(): number {
    return this.threads.length;
  }

  /** Starts every thread; rejects (after stopping those that started) if any cannot start. */
  async start(): Promise<void> {
    const first = this.spawn(0, 0);
    const ports = await this.whenListening(first);
    this.bindings = this.bindings.map((b, i) => (b.entry.port === 0 ? { ...b, entry: withPort(b.entry, ports[i]!) } : b));
    const rest: ThreadHandle[] = [];
    for (let i = 1; i < this.plan.threads; i++) rest.push(this.spawn(i, 0));
    await Promise.all(rest.map((t) => this.whenListening(t)));
    this.started = true;
  }

  private whenListening(t: ThreadHandle): Promise<number[]> {
    return new Promise((resolve, reject) => {
      t.onListening = resolve;
      t.onFailed = (message) => {
        reject(new GrocketdError(ErrorCodes.THREAD_START, `I/O thread ${t.index} could not start: ${message}`));
      };
    });
  }

  private spawn(index: number, failures: number): ThreadHandle {
    const worker = new Worker(IO_THREAD_URL);
    const t: ThreadHandle = { index, worker, listening: false, stopping: false, startedAt: performance.now(), failures, lastError: undefined };
    this.threads[index] = t;
    worker.addEventListener("message", (ev: MessageEvent<FromThread>) => this.onMessage(t, ev.data));
    worker.addEventListener("error", (ev) => {
      t.lastError = (ev as ErrorEvent).message;
    });
    worker.addEventListener("close", (ev) => this.onExit(t, (ev as CloseEvent & { code?: number }).code ?? 0));
    const msg: ToThread = {
      t: "start",
      index,
      config: this.plan.config,
      modules: this.plan.modules.map((m) => ({ file: m.file, name: m.def.name })),
      bindings: this.bindings,
    };
    worker.postMessage(msg);
    return t;
  }

  private onMessage(t: ThreadHandle, m: FromThread): void {
    if (this.threads[t.index] !== t) return;
    if (m.t === "listening") {
      t.listening = true;
      if (t.failures > 0) this.log.info(`I/O thread ${t.index} is serving again`);
      t.onListening?.(m.ports);
    } else if (m.t === "start-failed") {
      t.lastError = m.message;
      if (t.onFailed) t.onFailed(m.message);
      else this.log.error(`I/O thread ${t.index} could not start`, { error: m.message });
      t.worker.terminate();
    } else if (m.t === "stopped") {
      t.onStopped?.();
    }
  }

  private onExit(t: ThreadHandle, code: number): void {
    if (this.threads[t.index] !== t) return;
    if (t.stopping || this.stopping) {
      t.onStopped?.();
      return;
    }
    if (!this.started) {
      // Still starting up: fail the start instead of looping.
      t.onFailed?.(t.lastError ?? `exited with code ${code}`);
      return;
    }
    const lived = performance.now() - t.startedAt;
    const failures = lived >= STABLE_MS ? 0 : t.failures + 1;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1));
    this.log.warn(`I/O thread ${t.index} exited unexpectedly; restarting in ${delay} ms`, {
      code,
      error: t.lastError,
      restarts_in_a_row: failures,
    });
    t.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      const next = this.spawn(t.index, Math.max(1, failures));
      next.onFailed = undefined;
    }, delay);
  }

  /** Asks every thread to drain and stop; waits for them, cutting stragglers after drainMs plus a grace period. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const t of this.threads) {
      if (!t) continue;
      clearTimeout(t.restartTimer);
      t.stopping = true;
      waits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.log.warn(`I/O thread ${t.index} did not stop in time; terminating it`);
            resolve();
          }, drainMs + 3000);
          t.onStopped = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      );
      const msg: ToThread = { t: "stop", drainMs };
      try {
        t.worker.postMessage(msg);
      } catch {
        t.onStopped?.();
      }
    }
    await Promise.all(waits);
    for (const t of this.threads) t?.worker.terminate();
  }
}
