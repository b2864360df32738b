/**
 * @module master/process-supervisor
 * `server.processes = P`: the master spawns P child processes, each running its own I/O threads (and handler pool)
 * on the same ports with SO_REUSEPORT, supervises them like threads (RestartPolicy: back-off up to 30 s, a log line
 * with the exit code or signal; a crash loop is reported and restarted still, and the server exits only when every
 * child has failed to start more than restart_limit times in a row) and stops them over IPC. The first child
 * resolves port 0; the others are started with its ports. Each child reports how its threads are doing (health
 * messages), so /readyz in the master covers the threads of every process.
 */
import type { Subprocess } from "bun";
import { withPort } from "../config/listen-url.ts";
import { grocketdError, type ErrorCode } from "../errors.ts";
import type { StopMode } from "../io/messages.ts";
import type { Binding } from "../module/binding.ts";
import type { Logger } from "../log/logger.ts";
import type { FromChild, ToChild } from "./child-messages.ts";
import type { PlanData } from "./plan-data.ts";
import { RestartPolicy } from "./restart-policy.ts";
import { childProcessCommand } from "../entry-path.ts";
import type { Serving, ServingHealth } from "./serving.ts";
import { statsRegistry } from "../stats/stats-registry.ts";

interface Child {
  readonly index: number;
  readonly proc: Subprocess;
  readonly startedAt: number;
  readonly restarted: boolean;
  stopping: boolean;
  listening: boolean;
  /** What the child last said about its threads. */
  health?: ServingHealth;
  onListening?: (ports: number[]) => void;
  /** `code`: the child's own error code (start-failed carries it), e.g. GRK_ERR_LISTEN. */
  onFailed?: (message: string, code?: ErrorCode) => void;
  onStopped?: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class ProcessSupervisor implements Serving {
  private bindings: Binding[];
  private readonly children: Child[] = [];
  private readonly policy: RestartPolicy;
  /** Per index: starts in a row that ended before the child listened; whether it is in a crash loop; restart due. */
  private readonly failedStarts: number[] = [];
  private readonly crashLoop: boolean[] = [];
  private readonly restartAt: number[] = [];
  private started = false;
  private stopping = false;

  constructor(
    private readonly plan: PlanData,
    private readonly log: Logger,
    private readonly generation: number,
    private readonly onDead: () => void = () => {},
  ) {
    this.bindings = [...plan.bindings];
    this.policy = new RestartPolicy(plan.config.server.restart_limit, plan.config.server.restart_window_ms);
  }

  get resolvedBindings(): readonly Binding[] {
    return this.bindings;
  }

  async start(): Promise<void> {
    const ports = await this.startOne(0, false);
    this.bindings = this.bindings.map((b, i) => (b.entry.port === 0 ? { ...b, entry: withPort(b.entry, ports[i]!) } : b));
    const rest: Promise<number[]>[] = [];
    for (let i = 1; i < this.plan.config.server.processes; i++) rest.push(this.startOne(i, false));
    await Promise.all(rest);
    this.started = true;
  }

  private startOne(index: number, restart: boolean): Promise<number[]> {
    const c = this.spawn(index, restart);
    return new Promise((resolve, reject) => {
      c.onListening = resolve;
      c.onFailed = (reason, code) => reject(grocketdError("GRK_ERR_THREAD_START", "process", { index, reason }, code === undefined ? undefined : { code }));
    });
  }

  private spawn(index: number, restart: boolean): Child {
    const proc = Bun.spawn(childProcessCommand(), { // entry-path.ts: also from the single binary
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      env: process.env,
      ipc: (msg: FromChild) => this.onMessage(c, msg),
    });
    const c: Child = { index, proc, startedAt: performance.now(), restarted: restart, stopping: false, listening: false };
    this.children[index] = c;
    void proc.exited.then((code) => this.onExit(c, code, proc.signalCode === null ? null : String(proc.signalCode)));
    const start: ToChild = { t: "start", index, generation: this.generation, plan: { ...this.plan, bindings: this.bindings } };
    proc.send(start);
    return c;
  }

  private onMessage(c: Child, m: FromChild): void {
    if (this.children[c.index] !== c) return;
    if (m.t === "listening") {
      c.listening = true;
      this.failedStarts[c.index] = 0;
      if (c.restarted) this.log.info(`process ${c.index} is serving again`, { pid: c.proc.pid });
      c.onListening?.(m.ports);
    } else if (m.t === "start-failed") {
      if (c.onFailed) c.onFailed(m.message, m.code as ErrorCode | undefined);
      else this.log.error(`process ${c.index} could not start`, { error: m.message });
    } else if (m.t === "stopped") {
      c.onStopped?.();
    } else if (m.t === "health") {
      c.health = m.health;
    } else if (m.t === "stats") {
      statsRegistry().setRemote(c.proc.pid, c.index, m.threads, m.process);
    } else if (m.t === "publish") {
      // Topics span the processes: the master relays each publish to every other child, in the order it came.
      for (const o of this.children) {
        if (o === undefined || o === c || o.stopping || o.proc.exitCode !== null) continue;
        try {
          o.proc.send(m);
        } catch {
          // that child is going; its replacement starts with no subscribers
        }
      }
    }
  }

  private onExit(c: Child, code: number | null, signal: string | null): void {
    statsRegistry().retireRemote(c.proc.pid); // its last counters stay in the status listener's totals
    if (this.children[c.index] !== c) return;
    if (c.stopping || this.stopping) {
      c.onStopped?.();
      return;
    }
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    // During the start, a child that never listened fails the start; one that listened is restarted like later.
    if (!this.started && !c.listening) {
      c.onFailed?.(`exited (${how}) before it listened`);
      return;
    }
    if (!c.listening) this.failedStarts[c.index] = (this.failedStarts[c.index] ?? 0) + 1;
    const limit = this.policy.limit;
    const n = this.plan.config.server.processes;
    const serves = (x: Child | undefined) => x !== undefined && x.listening && x.proc.exitCode === null && x.proc.signalCode === null;
    const down = (i: number) => (this.failedStarts[i] ?? 0) > limit && !serves(this.children[i]);
    if (limit > 0 && Array.from({ length: n }, (_, i) => i).every(down)) {
      this.log.error(`no process can start: each failed to start ${limit + 1} times in a row (server.restart_limit ${limit}; last: ${how})`);
      this.onDead();
      return;
    }
    const d = this.policy.died(c.index, performance.now() - c.startedAt);
    if (d.crashLoop && !this.crashLoop[c.index]) {
      this.log.error(`process ${c.index} is in a crash loop (${d.deaths} deaths within ${this.policy.windowMs} ms): degraded; it is still restarted, with back-off up to 30 s, while the others serve`);
    }
    this.crashLoop[c.index] = d.crashLoop;
    this.log.warn(`process ${c.index} exited unexpectedly (${how}); restarting in ${d.delay} ms`, { pid: c.proc.pid, restarts_in_a_row: d.inARow });
    this.restartAt[c.index] = performance.now() + d.delay;
    c.timer = setTimeout(() => {
      c.timer = undefined;
      if (!this.stopping) this.spawn(c.index, true);
    }, d.delay);
  }

  /** Serving: some child listens and says some of its threads serve. Stalled: any child has a stalled thread. */
  health(): ServingHealth {
    const problems: string[] = [];
    let serving = false;
    let stalled = false;
    const now = performance.now();
    for (let i = 0; i < this.plan.config.server.processes; i++) {
      const c = this.children[i];
      const alive = c !== undefined && c.proc.exitCode === null && c.proc.signalCode === null;
      if (!alive || !c.listening) {
        const restarting = c?.timer !== undefined ? ` (${this.crashLoop[i] ? "crash loop; " : ""}restarting in ${Math.max(0, Math.round((this.restartAt[i] ?? now) - now))} ms)` : "";
        problems.push(alive ? `process ${i} starting` : `process ${i} down${restarting}`);
        continue;
      }
      const h = c.health;
      if (h === undefined || h.serving) serving = true;
      if (h?.stalled) stalled = true;
      for (const p of h?.problems ?? []) problems.push(`process ${i}: ${p}`);
    }
    return { serving, stalled, problems };
  }

  async stop(drainMs: number, mode: StopMode = "stop"): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.children.map(async (c) => {
        if (!c) return;
        clearTimeout(c.timer);
        c.stopping = true;
        if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
        const stopped = new Promise<void>((resolve) => (c.onStopped = resolve));
        try {
          c.proc.send({ t: "stop", drainMs, mode } satisfies ToChild);
        } catch {
          // gone already
        }
        const timer = setTimeout(() => {
          this.log.warn(`process ${c.index} did not stop in time; killing it`, { pid: c.proc.pid });
          c.proc.kill("SIGKILL");
        }, drainMs + 5000);
        await Promise.race([stopped.then(() => c.proc.exited), c.proc.exited]);
        clearTimeout(timer);
      }),
    );
  }
}
