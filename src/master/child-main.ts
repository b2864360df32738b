/**
 * @module master/child-main
 * Entry point of a child process (`server.processes` > 1): told its plan over IPC by the master, it imports the
 * modules, calls their `init` with role "process", runs its own I/O threads (and handler pool), and drains and exits
 * when the master says stop, or when the master is gone (its IPC channel closes). Signals are the master's business:
 * a Ctrl-C that reaches the whole process group is ignored here, since the master will ask for a graceful stop.
 */
import { describeError, isGrocketdError } from "../errors.ts";
import { createLogger } from "../log/logger.ts";
import { loadValidatedModule, type LoadedModule } from "../module/load-module.ts";
import { ModuleRuntime } from "../module/module-runtime.ts";
import type { FromChild, ToChild } from "./child-messages.ts";
import type { StopMode } from "../io/messages.ts";
import { ThreadSupervisor } from "./thread-supervisor.ts";
import { pushStats } from "../stats/stats-push.ts";
import { setSelfModuleLoader } from "../entry-path.ts";

// This entry's own copy of the runtime is what its modules' `import "grocketd"` gets (entry-path.ts).
setSelfModuleLoader(() => import("../self-module.ts"));

const send = (m: FromChild): void => void process.send?.(m);
let supervisor: ThreadSupervisor | undefined;
let runtime: ModuleRuntime | undefined;
let stopping = false;
/** server.drain_ms, for a drain nobody asked for (the master died). */
let drainMsOnOrphan = 0;
/** Sends this process's counters to the master's status listener (stats/stats-push.ts). */
let statsPushed: (() => void) | undefined;
let healthTimer: ReturnType<typeof setInterval> | undefined;
const HEALTH_POLL_MS = 100;

process.on("SIGINT", () => {});

async function start(msg: Extract<ToChild, { t: "start" }>): Promise<void> {
  const { plan, index } = msg;
  drainMsOnOrphan = plan.config.server.drain_ms;
  const log = createLogger({ level: plan.config.log.level, format: plan.config.log.format, where: `p${index}` });
  try {
    const modules: LoadedModule[] = [];
    for (const ref of plan.modules) modules.push(await loadValidatedModule(ref)); // validated by the master
    runtime = new ModuleRuntime(modules, { role: "process", index, config: plan.config, log, bindings: plan.bindings });
    await runtime.init(`process ${index}`);
    supervisor = new ThreadSupervisor(plan, log, () => process.exit(1), index);
    // Publishes made here go to the other processes through the master; theirs come back to this process's threads.
    supervisor.onUplink = (topic, bytes) => send({ t: "publish", topic, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64") });
    await supervisor.start();
    runtime.setBindings(supervisor.resolvedBindings);
    send({ t: "listening", ports: supervisor.resolvedBindings.map((b) => b.entry.port) });
    statsPushed = pushStats(send);
    // The master's /readyz covers this process's threads: tell it when their health changes (a cheap poll).
    let said = "";
    healthTimer = setInterval(() => {
      const health = supervisor!.health();
      const now = JSON.stringify(health);
      if (now !== said) send({ t: "health", health });
      said = now;
    }, HEALTH_POLL_MS);
  } catch (err) {
    send({ t: "start-failed", ...(isGrocketdError(err) ? { code: err.code } : {}), message: describeError(err) });
    await supervisor?.stop(0);
    process.exit(1);
  }
  process.on("SIGTERM", () => void stop(plan.config.server.drain_ms));
}

async function stop(drainMs: number, mode: StopMode = "stop"): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (runtime) runtime.stopping = true;
  clearInterval(healthTimer);
  await supervisor?.stop(drainMs, mode);
  await runtime?.term();
  statsPushed?.();
  send({ t: "stopped" });
  // Give the IPC message a moment to leave before the process does.
  setTimeout(() => process.exit(0), 20);
}

// The master is gone (killed, crashed): nobody will supervise or stop this process, and it would hold the ports
// forever. Drain like a SIGTERM and exit.
process.on("disconnect", () => {
  if (stopping) return;
  console.error(`grocketd child ${process.pid}: the master is gone; draining and exiting`);
  void stop(drainMsOnOrphan);
});

process.on("message", (msg: ToChild) => {
  if (msg.t === "start") void start(msg);
  else if (msg.t === "stop") void stop(msg.drainMs, msg.mode);
  else if (msg.t === "publish") supervisor?.relayIn(msg.topic, Buffer.from(msg.data, "base64"));
});
