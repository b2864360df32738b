/**
 * @module master/thread-supervisor
 * Runs the worker side of a server: the I/O threads and, with `worker.disabled = false`, the handler threads and the
 * ring pairs between every I/O thread and every handler thread (allocated here, once, and handed out by
 * postMessage; a replaced thread gets fresh rings and its peers are told). Port 0 is resolved by the first I/O
 * thread and the others then bind the same port, so the master itself never touches a socket. On stop the I/O
 * threads drain first (their in-flight packets still need the handlers), then the handlers stop.
 */
import { withPort } from "../config/listen-url.ts";
import type { Logger } from "../log/logger.ts";
import type { Binding, RingPair, ToHandler, ToThread } from "../io/messages.ts";
import { Ring } from "../ring/ring.ts";
import type { StartPlan } from "./start-plan.ts";
import { WorkerGroup } from "./worker-group.ts";

const IO_THREAD_URL = new URL("../io/io-thread.ts", import.meta.url).href;
const HANDLER_THREAD_URL = new URL("../pool/handler-thread.ts", import.meta.url).href;

export class ThreadSupervisor {
  private bindings: Binding[];
  private readonly io: WorkerGroup;
  private readonly handlers: WorkerGroup | null;
  /** rings[i][j]: I/O thread i ↔ handler thread j. */
  private readonly rings: RingPair[][] = [];

  constructor(
    private readonly plan: StartPlan,
    private readonly log: Logger,
  ) {
    this.bindings = [...plan.bindings];
    const pool = !plan.config.worker.disabled;
    const modules = plan.modules.map((m) => ({ file: m.file, name: m.def.name }));
    if (pool) {
      for (let i = 0; i < plan.threads; i++) {
        this.rings.push([]);
        for (let j = 0; j < plan.config.worker.threads; j++) this.rings[i]!.push(this.newPair());
      }
    }
    this.io = new WorkerGroup({
      label: "I/O thread",
      url: IO_THREAD_URL,
      log,
      startMessage: (index): ToThread => ({
        t: "start",
        index,
        config: plan.config,
        modules,
        bindings: this.bindings,
        pool: pool ? this.rings[index]! : null,
      }),
      beforeRestart: (i) => {
        if (!pool) return;
        // The dead thread's records are meaningless now: fresh rings, and each handler drops that thread's connections.
        for (let j = 0; j < this.rings[i]!.length; j++) {
          const pair = (this.rings[i]![j] = this.newPair());
          this.handlers!.sendTo(j, { t: "pool-io", io: i, rings: pair } satisfies ToHandler);
        }
      },
    });
    this.handlers = !pool
      ? null
      : new WorkerGroup({
          label: "handler thread",
          url: HANDLER_THREAD_URL,
          log,
          startMessage: (index): ToHandler => ({
            t: "start",
            index,
            config: plan.config,
            modules,
            links: this.rings.map((row) => row[index]!),
          }),
          beforeRestart: (j) => {
            for (let i = 0; i < this.rings.length; i++) {
              const pair = (this.rings[i]![j] = this.newPair());
              this.io.sendTo(i, { t: "pool-handler", handler: j, rings: pair } satisfies ToThread);
            }
          },
        });
  }

  private newPair(): RingPair {
    const bytes = this.plan.config.worker.ring_bytes;
    return { req: Ring.create(bytes).sab, res: Ring.create(bytes).sab };
  }

  /** Listen entries with their actual ports, once start() has resolved. */
  get resolvedBindings(): readonly Binding[] {
    return this.bindings;
  }

  /** Starts every thread; rejects (after the caller stops those that started) if any cannot start. */
  async start(): Promise<void> {
    if (this.handlers) {
      await Promise.all(Array.from({ length: this.plan.config.worker.threads }, (_, j) => this.handlers!.startOne(j)));
      this.handlers.markStarted();
    }
    const ports = await this.io.startOne(0);
    this.bindings = this.bindings.map((b, i) => (b.entry.port === 0 ? { ...b, entry: withPort(b.entry, ports[i]!) } : b));
    const rest: Promise<number[]>[] = [];
    for (let i = 1; i < this.plan.threads; i++) rest.push(this.io.startOne(i));
    await Promise.all(rest);
    this.io.markStarted();
  }

  /** Drains and stops the I/O threads, then the handler threads. */
  async stop(drainMs: number): Promise<void> {
    await this.io.stop(drainMs);
    await this.handlers?.stop(drainMs);
  }
}
