/**
 * @module master/master
 * The master thread's life: module `init` (role master, in library dependency order), start the I/O threads,
 * report what it listens on, and on SIGTERM/SIGINT drain and stop them, call `term` (reverse order), and exit 0.
 * A second signal during the drain exits at once.
 */
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { ModuleRuntime } from "../module/module-runtime.ts";
import { VERSION } from "../version.ts";
import type { StartPlan } from "./start-plan.ts";
import { ThreadSupervisor } from "./thread-supervisor.ts";

/** Runs the server until it is told to stop; resolves with the process exit code. */
export async function runMaster(plan: StartPlan, log: Logger): Promise<number> {
  log.info(`grocketd ${VERSION} starting`, {
    threads: plan.threads,
    modules: plan.modules.map((m) => `${m.def.name}@${m.def.version}`).join(","),
    config: plan.configFile ?? "(none)",
  });
  let runtime: ModuleRuntime | undefined;
  try {
    // The start plan has resolved the libraries already; this cannot fail unless the plan was built by hand.
    runtime = new ModuleRuntime(plan.modules, { role: "master", index: 0, config: plan.config, log, bindings: plan.bindings });
    await runtime.init("the master");
  } catch (err) {
    log.error(describeError(err));
    await runtime?.term();
    return 1;
  }

  const supervisor = new ThreadSupervisor(plan, log);
  let exitCode = 0;
  let stopRequested: ((signal: string) => void) | undefined;
  const stopSignal = new Promise<string>((resolve) => (stopRequested = resolve));
  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals > 1) {
      log.warn(`${signal} again: exiting without waiting for the drain`);
      process.exit(1);
    }
    stopRequested?.(signal);
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));

  try {
    await supervisor.start();
  } catch (err) {
    log.error(describeError(err));
    await supervisor.stop(0);
    await runtime.term();
    return 1;
  }
  runtime.setBindings(supervisor.resolvedBindings); // port 0 entries now carry the actual port
  for (const b of supervisor.resolvedBindings) {
    log.info(`listening on ${b.entry.url}`, { module: b.module, threads: plan.threads });
  }

  const signal = await stopSignal;
  const drainMs = plan.config.server.drain_ms;
  log.info(`${signal}: stopping; draining connections`, { drain_ms: drainMs });
  runtime.stopping = true;
  await supervisor.stop(drainMs);
  await runtime.term();
  log.info("stopped");
  return exitCode;
}
