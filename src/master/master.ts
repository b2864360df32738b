/**
 * @module master/master
 * The master thread's life: module `init` (role master), start the I/O threads, report what it listens on, and on
 * SIGTERM/SIGINT drain and stop them, call `term`, and exit 0. A second signal during the drain exits at once.
 */
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { HookContext } from "../module/types.ts";
import type { LoadedModule } from "../module/load-module.ts";
import { VERSION } from "../version.ts";
import type { StartPlan } from "./start-plan.ts";
import { ThreadSupervisor } from "./thread-supervisor.ts";

function masterContext(plan: StartPlan, log: Logger, m: LoadedModule): HookContext {
  return { role: "master", index: 0, config: plan.config, log: log.child(m.def.name) };
}

async function runTerm(plan: StartPlan, log: Logger, upTo: number): Promise<void> {
  for (const m of plan.modules.slice(0, upTo).reverse()) {
    try {
      await m.def.term?.(masterContext(plan, log, m));
    } catch (err) {
      log.error("term failed", { module: m.def.name, error: describeError(err) });
    }
  }
}

/** Runs the server until it is told to stop; resolves with the process exit code. */
export async function runMaster(plan: StartPlan, log: Logger): Promise<number> {
  log.info(`grocketd ${VERSION} starting`, {
    threads: plan.threads,
    modules: plan.modules.map((m) => `${m.def.name}@${m.def.version}`).join(","),
    config: plan.configFile ?? "(none)",
  });
  let inited = 0;
  for (const m of plan.modules) {
    try {
      await m.def.init?.(masterContext(plan, log, m));
      inited++;
    } catch (err) {
      log.error(`module ${m.def.name} (${m.file}): init failed in the master: ${describeError(err)}`);
      await runTerm(plan, log, inited);
      return 1;
    }
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
    await runTerm(plan, log, inited);
    return 1;
  }
  for (const b of supervisor.resolvedBindings) {
    log.info(`listening on ${b.entry.url}`, { module: b.module, threads: plan.threads });
  }

  const signal = await stopSignal;
  const drainMs = plan.config.server.drain_ms;
  log.info(`${signal}: stopping; draining connections`, { drain_ms: drainMs });
  await supervisor.stop(drainMs);
  await runTerm(plan, log, inited);
  log.info("stopped");
  return exitCode;
}
