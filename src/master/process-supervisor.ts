/**
 * @module master/process-supervisor
 * `server.processes = P`: the master spawns P child processes, each running its own I/O threads (and handler pool)
 * on the same ports with SO_REUSEPORT, supervises them like threads (RestartPolicy: back-off, a log line with the
 * exit code or signal, no restarts in a crash loop) and stops them over IPC. The first child resolves port 0; the
 * others are started with its ports.
 */
import type { Subprocess } from "bun";
import { withPort } from "../config/listen-url.ts";
import { ErrorCodes, GrocketdError } from "../errors.ts";
import type { Binding, StopMode } from "../io/messages.ts";
import type { Logger } from "../log/logger.ts";
import type { FromChild, ToChild } from "./child-messages.ts";
import type { PlanData } from "./plan-data.ts";
import { RestartPolicy } from "./restart-policy.ts";
import { childProcessCommand } from "../entry-path.ts";
import type { Serving } from "./serving.ts";
import { statsRegistry } from "../stats/stats-registry.ts";

const CHILD_ENTRY = new URL("./child-main.ts", import.meta.url).pathname;

interface Child {
  readonly index: number;
  readonly proc: Subprocess;
  readonly startedAt: number;
  readonly restarted: boolean;
  stopping: boolean;
  onListening?: (ports: number[]) => void;
  onFailed?: (message: string) => void;
  onStopped?: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class ProcessSupervisor implements Serving {
  private bindings: Binding[];
  private readonly children: Child[] = [];
  private readonly policy: RestartPolicy;
  private readonly gaveUp = new Set<number>();
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
      c.onFailed = (message) => reject(new GrocketdError(ErrorCodes.THREAD_START, `process ${index} could not start: ${message}`));
    });
  }

  private spawn(index: number, restart: boolean): Child {
    const proc = Bun.spawn(childProcessCommand(CHILD_ENTRY), { // entry-path.ts: also from the single binary
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      env: process.env,
      ipc: (msg: FromChild) => this.onMessage(c, msg),
    });
    const c: Child = { index, proc, startedAt: performance.now(), restarted: restart, stopping: false };
    this.children[index] = c;
    void proc.exited.then((code) => this.onExit(c, code, proc.signalCode === null ? null : String(proc.signalCode)));
    const start: ToChild = { t: "start", index, generation: this.generation, plan: { ...this.plan, bindings: this.bindings } };
    proc.send(start);
    return c;
  }

  private onMessage(c: Child, m: FromChild): void {
    if (this.children[c.index] !== c) return;
    if (m.t === "listening") {
      if (c.restarted) this.log.info(`process ${c.index} is serving again`, { pid: c.proc.pid });
      c.onListening?.(m.ports);
    } else if (m.t === "start-failed") {
      if (c.onFailed) c.onFailed(m.message);
      else this.log.error(`process ${c.index} could not start`, { error: m.message });
    } else if (m.t === "stopped") {
      c.onStopped?.();
    } else if (m.t === "stats") {
      statsRegistry().setRemote(c.proc.pid, c.index, m.threads);
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
    if (!this.started) {
      c.onFailed?.(`exited (${how}) before it listened`);
      return;
    }
    const d = this.policy.died(c.index, performance.now() - c.startedAt);
    if (!d.restart) {
      this.gaveUp.add(c.index);
      this.log.error(`process ${c.index} died ${d.deaths} times within the restart window (last: ${how}): crash loop, not restarting it`);
      if (this.gaveUp.size === this.plan.config.server.processes) this.onDead();
      return;
    }
    this.log.warn(`process ${c.index} exited unexpectedly (${how}); restarting in ${d.delay} ms`, { pid: c.proc.pid, restarts_in_a_row: d.inARow });
    c.timer = setTimeout(() => {
      if (!this.stopping) this.spawn(c.index, true);
    }, d.delay);
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
