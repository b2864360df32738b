/**
 * @module master/master
 * The master's life. It calls the modules' master `init` (in library dependency order), starts a generation of the
 * serving side (I/O threads here, or child processes), and then answers signals:
 * - SIGTERM/SIGINT: drain and stop the serving side, call `term` (reverse order), exit 0; a second signal exits at once;
 * - SIGHUP (or `POST /reload` on the status listener): live reload. The new configuration and modules are validated in a fresh Worker (the master cannot
 *   re-import changed modules); if they are bad, the reasons are logged and the current generation keeps serving.
 *   Otherwise a new generation starts on the same ports (SO_REUSEPORT), and only once it listens does the old one
 *   stop accepting and drain. Master-role hooks are not re-run on reload (their module instances cannot be replaced).
 */
import { resolve } from "node:path";
import { describeError, grocketdError, isGrocketdError } from "../errors.ts";
import type { Config } from "../config/keys.ts";
import type { Binding } from "../module/binding.ts";
import type { Logger } from "../log/logger.ts";
import { ModuleRuntime } from "../module/module-runtime.ts";
import { VERSION } from "../version.ts";
import { planInWorker } from "./plan-in-worker.ts";
import type { PlanRequest } from "./plan-worker.ts";
import { carryPorts, planData, type PlanData } from "./plan-data.ts";
import { ProcessSupervisor } from "./process-supervisor.ts";
import type { Serving, ServingHealth } from "./serving.ts";
import type { StartPlan } from "./start-plan.ts";
import { probePorts } from "./port-probe.ts";
import { ThreadSupervisor } from "./thread-supervisor.ts";
import { claimPidFile, removePidFile, writePidFile } from "../cli/pid-file.ts";
import { ReloadRecords, reloadFileOf } from "../cli/reload-record.ts";
import { startupMark } from "../log/startup-trace.ts";
import { discardPrewarmed } from "./worker-prewarm.ts";

interface Generation {
  readonly number: number;
  readonly plan: PlanData;
  readonly serving: Serving;
}

/** Observers of the master's state (the status listener uses them for /readyz and POST /reload). */
export interface MasterEvents {
  /** A generation serves; `processes` is its server.processes. */
  ready?(generation: number, processes: number): void;
  draining?(): void;
  /** Once the master runs: how an observer asks for a reload. */
  attach?(control: MasterControl): void;
}

/** What a reload came to, once the new generation serves (the old one may still be draining) or it was refused. */
export type ReloadOutcome =
  | { ok: true; generation: number; draining: number }
  | { ok: false; reason: string; problems: string[] };

export interface MasterControl {
  reload(reason: string): Promise<ReloadOutcome>;
  /** How the serving generation's threads (and processes) are doing; undefined before it starts. */
  health(): ServingHealth | undefined;
}

export class Master {
  private current: Generation | undefined;
  private reloading = false;
  /** The previous generation's drain after a reload; a stop waits for it too. */
  private oldDrain: Promise<void> | undefined;
  private stopping = false;
  private runtime: ModuleRuntime | undefined;
  private finish: ((code: number) => void) | undefined;
  private readonly done = new Promise<number>((r) => (this.finish = r));
  private signals = 0;

  constructor(
    private readonly plan: StartPlan,
    private readonly log: Logger,
    /** How the plan was made, so a reload can make the next one the same way. */
    private readonly source: PlanRequest,
    private readonly events: MasterEvents = {},
  ) {}

  get generation(): number {
    return this.current?.number ?? 0;
  }

  private serve(plan: PlanData, number: number): Generation {
    const onDead = () => {
      this.log.error(`generation ${number}: nothing can start any more; exiting`);
      void this.stop("nothing can start", 1);
    };
    const serving = plan.config.server.processes > 1 ? new ProcessSupervisor(plan, this.log, number, onDead) : new ThreadSupervisor(plan, this.log, onDead);
    return { number, plan, serving };
  }

  private announce(g: Generation): void {
    for (const b of g.serving.resolvedBindings) {
      this.log.info(`listening on ${b.entry.url}`, {
        module: b.module,
        threads: g.plan.threads,
        processes: g.plan.config.server.processes,
        generation: g.number,
      });
    }
  }

  /** Runs until told to stop; resolves with the process exit code. */
  async run(): Promise<number> {
    const plan = this.plan;
    this.log.info(`grocketd ${VERSION} starting`, {
      threads: plan.threads,
      processes: plan.config.server.processes,
      modules: plan.modules.map((m) => `${m.def.name}@${m.def.version}`).join(","),
      config: plan.configFile ?? "(none)",
      // Said at start-up because it surprises: a module-level variable is not shared by the threads serving it.
      module_state: "per thread: each thread imports its own copy; share objects between modules through libraries, data between threads through SharedArrayBuffer or topics (README Modules)",
    });
    // The pid file is checked before anything starts (a symbolic link, or a grocketd that still runs, stop the start)
    // and written once the first generation serves, so `grocketd reload` finds only a master that can reload.
    const pidFile = plan.config.server.pid_file === "" ? undefined : resolve(plan.config.server.pid_file);
    let reloads: ReloadRecords | undefined;
    if (pidFile) {
      try {
        claimPidFile(pidFile);
      } catch (err) {
        this.log.error(describeError(err));
        return 1;
      }
      reloads = new ReloadRecords(reloadFileOf(pidFile), (err) => this.log.warn(`cannot write ${reloadFileOf(pidFile)}: ${describeError(err)}`));
    }
    // A port another process holds is refused here, before any init: the threads' SO_REUSEPORT would share it.
    const taken = await probePorts(plan.bindings.map((b) => b.entry));
    if (taken.length > 0) {
      this.log.error(`cannot start: ${taken.length === 1 ? "a port is" : "ports are"} not free`);
      for (const t of taken) this.log.error(`  ${t}`);
      return 1;
    }
    try {
      // The start plan has resolved the libraries already; this cannot fail unless the plan was built by hand.
      this.runtime = new ModuleRuntime(plan.modules, { role: "master", index: 0, config: plan.config, log: this.log, bindings: plan.bindings });
      await this.runtime.init("the master");
    } catch (err) {
      this.log.error(describeError(err));
      await this.runtime?.term();
      return 1;
    }
    process.on("SIGTERM", () => this.onSignal("SIGTERM"));
    process.on("SIGINT", () => this.onSignal("SIGINT"));
    process.on("SIGHUP", () => {
      // `grocketd reload` waits for this record (reload-record.ts).
      const recorded = reloads?.started(this.current?.plan.config.server.start_timeout_ms ?? plan.config.server.start_timeout_ms);
      void this.reload("SIGHUP").then((o) => recorded?.(o));
    });
    this.events.attach?.({ reload: (reason) => this.reload(reason), health: () => this.current?.serving.health() });

    startupMark("master", "master-init-done");
    const first = this.serve(planData(plan), 1);
    try {
      await startWithin(first.serving, plan.config.server.start_timeout_ms);
    } catch (err) {
      this.log.error(describeError(err), { code: isGrocketdError(err) ? err.code : undefined });
      await first.serving.stop(0);
      await this.runtime.term();
      return 1;
    }
    this.current = first;
    discardPrewarmed(); // I/O threads src/grocketd.ts started early that the plan did not need
    startupMark("master", "serving");
    this.runtime.setBindings(first.serving.resolvedBindings); // port 0 entries now carry the actual port
    this.announce(first);
    if (pidFile) {
      try {
        writePidFile(pidFile);
      } catch (err) {
        this.log.error(`cannot write server.pid_file: ${describeError(err)}`);
        await this.stop("pid file", 1);
        return this.done;
      }
    }
    this.events.ready?.(first.number, plan.config.server.processes);

    const code = await this.done;
    if (pidFile) {
      removePidFile(pidFile);
      reloads?.remove();
    }
    return code;
  }

  private onSignal(signal: string): void {
    if (++this.signals > 1) {
      this.log.warn(`${signal} again: exiting without waiting for the drain`);
      process.exit(1);
    }
    void this.stop(signal, 0);
  }

  /** Drains and stops every generation, calls term, and ends run() with `code`. */
  async stop(reason: string, code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.events.draining?.();
    const g = this.current;
    const drainMs = g?.plan.config.server.drain_ms ?? this.plan.config.server.drain_ms;
    this.log.info(`${reason}: stopping; draining connections`, { drain_ms: drainMs });
    if (this.runtime) this.runtime.stopping = true;
    await Promise.all([g?.serving.stop(drainMs), this.oldDrain]);
    await this.runtime?.term();
    this.log.info("stopped");
    this.finish?.(code);
  }

  /**
   * Live reload: validate in a fresh Worker, start the next generation, then drain the old one. Resolves once the
   * new generation serves (the old one drains in the background) or the reload was refused.
   */
  async reload(reason: string): Promise<ReloadOutcome> {
    const refuse = (why: string, problems: string[] = []): ReloadOutcome => ({ ok: false, reason: why, problems });
    if (this.stopping || this.current === undefined) return refuse(this.stopping ? "stopping" : "still starting");
    if (this.reloading) {
      this.log.warn(`${reason}: a reload is already in progress; ignored`);
      return refuse("a reload is already in progress");
    }
    this.reloading = true;
    let draining = false;
    const old = this.current;
    try {
      this.log.info(`${reason}: reloading configuration and modules`, { generation: old.number });
      const reply = await planInWorker(this.source);
      if (!reply.ok) {
        this.log.error(`reload refused; generation ${old.number} keeps serving`, { problems: reply.problems.length });
        for (const p of reply.problems) this.log.error(`  ${p}`);
        return refuse(`reload refused; generation ${old.number} keeps serving`, reply.problems);
      }
      const bindings: Binding[] = carryPorts(reply.plan.bindings, old.serving.resolvedBindings, old.plan.bindings);
      warnRestartOnly(this.log, old.plan.config, reply.plan.config);
      const taken = await probePorts(bindings.map((b) => b.entry), old.serving.resolvedBindings.map((b) => b.entry));
      if (taken.length > 0) {
        this.log.error(`reload refused; generation ${old.number} keeps serving`, { problems: taken.length });
        for (const t of taken) this.log.error(`  ${t}`);
        return refuse(`reload refused; generation ${old.number} keeps serving`, taken);
      }
      const next = this.serve({ ...reply.plan, bindings }, old.number + 1);
      try {
        await startWithin(next.serving, reply.plan.config.server.start_timeout_ms);
      } catch (err) {
        // Some of its threads may listen already and hold connections: drain them (clients move to the old
        // generation) rather than cut them. Logged once that is done: the line tells the operator the reload is over,
        // so a reload sent after it is taken, not ignored as "in progress".
        await next.serving.stop(reply.plan.config.server.drain_ms, "reload");
        this.log.error(`reload failed; generation ${old.number} keeps serving`, { error: describeError(err) });
        return refuse(`reload failed; generation ${old.number} keeps serving`, [describeError(err)]);
      }
      if (this.stopping) {
        await next.serving.stop(0);
        return refuse("stopping");
      }
      this.current = next;
      this.runtime?.setBindings(next.serving.resolvedBindings);
      this.announce(next);
      this.log.info(`generation ${next.number} serving (${reply.modules.join(",")}); draining generation ${old.number}`);
      this.events.ready?.(next.number, reply.plan.config.server.processes);
      draining = true;
      this.oldDrain = old.serving.stop(old.plan.config.server.drain_ms, "reload").then(() => {
        this.log.info(`generation ${old.number} stopped`);
        this.reloading = false;
        this.oldDrain = undefined;
      });
      return { ok: true, generation: next.number, draining: old.number };
    } finally {
      if (!draining) this.reloading = false;
    }
  }
}

/** Runs the server until it is told to stop; resolves with the process exit code. */
export function runMaster(plan: StartPlan, log: Logger, source: PlanRequest, events?: MasterEvents): Promise<number> {
  return new Master(plan, log, source, events).run();
}

/** Starts a generation, giving up after `ms` (server.start_timeout_ms; 0 = wait for ever): a hung init must not hang a
 * start, or a reload that then refuses every later one as "in progress". */
async function startWithin(serving: { start(): Promise<unknown> }, ms: number): Promise<void> {
  if (ms <= 0) {
    await serving.start();
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(grocketdError("GRK_ERR_THREAD_START", "timeout", { ms })), ms);
  });
  try {
    await Promise.race([serving.start(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Keys the master reads only at its own start: a reload applies them to the new threads and processes where they
 * matter there (log.*), but not to the master itself. Say so rather than ignore them silently.
 */
const RESTART_ONLY: ReadonlyArray<readonly [string, string, string]> = [
  ["status", "listen", "the status listener keeps its address until a restart"],
  ["server", "pid_file", "the pid file stays where it is until a restart"],
  ["log", "level", "the new threads use it; the master's own lines keep the old one until a restart"],
  ["log", "format", "the new threads use it; the master's own lines keep the old one until a restart"],
];

function warnRestartOnly(log: Logger, was: Config, now: Config): void {
  for (const [section, name, effect] of RESTART_ONLY) {
    const a = (was as unknown as Record<string, Record<string, unknown>>)[section]![name];
    const b = (now as unknown as Record<string, Record<string, unknown>>)[section]![name];
    if (JSON.stringify(a) !== JSON.stringify(b)) log.warn(`reload: ${section}.${name} changed (${JSON.stringify(a)} → ${JSON.stringify(b)}): ${effect}`);
  }
}
