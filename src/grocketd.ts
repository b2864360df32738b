/**
 * @module grocketd
 * The command: `bun run grocketd [--config FILE] [--module FILE ...] [--listen URL ...] [--threads N] [--check]`,
 * and `bun run grocketd reload` to make a running master reload.
 * Parses flags, builds and validates the start plan (exiting non-zero with every reason before any port opens),
 * then hands over to the master.
 */
import { parseCli, usage } from "./cli/args.ts";
import { isGrocketdError } from "./errors.ts";
import { failureText, startupLogFormat } from "./cli/startup-errors.ts";
import type { LogFormat } from "./log/logger.ts";
import { createLogger } from "./log/logger.ts";
import { runMaster } from "./master/master.ts";
import type { StatusListener } from "./status/status-server.ts";
import { buildStartPlan, type StartPlan } from "./master/start-plan.ts";
import type { ToThread } from "./io/messages.ts";
import { API_VERSION, VERSION } from "./version.ts";
import { CHILD_PROCESS_ARG, setSelfModuleLoader } from "./entry-path.ts";
import { startupMark } from "./log/startup-trace.ts";
import { prewarmWorkers, sendToPrewarmed } from "./master/worker-prewarm.ts";
import { IO_THREAD_URL } from "./master/thread-supervisor.ts";
import { availableParallelism } from "node:os";

/** Writes why, in the log format start-up errors follow (cli/startup-errors.ts), and exits: 2 for usage errors. */
function fail(err: unknown, what = "cannot start", format: LogFormat = "text"): never {
  process.stderr.write(failureText(err, what, format));
  process.exit(isGrocketdError(err) && err.code === "GRK_ERR_CLI" ? 2 : 1);
}

/** For --check: who provides which library, who requires it with which range, and the resulting init order. */
function libraryLines(plan: StartPlan): string[] {
  const out: string[] = [];
  for (const p of plan.modules) {
    for (const [lib, def] of Object.entries(p.def.provides ?? {})) {
      const users = plan.modules.filter((m) => m !== p && m.def.requires?.[lib] !== undefined).map((m) => `${m.def.name} ${m.def.requires![lib]}`);
      out.push(`  library ${lib}@${def.version} from ${p.def.name}${users.length > 0 ? `, required by ${users.join(", ")}` : ""}\n`);
    }
  }
  if (out.length > 0) out.push(`  init order ${plan.initOrder.map((m) => m.def.name).join(", ")}\n`);
  return out;
}

/**
 * How many I/O threads to start before the plan is known: io.threads as the flag or the environment give it (a
 * config file is not read yet: a guess that is wrong costs a thread more or fewer to start later), none when child
 * processes will serve instead of the master's threads.
 */
function prewarmCount(flag: string | undefined, env: Record<string, string | undefined>): number {
  const processes = Number(env.GROCKETD_SERVER_PROCESSES ?? "1");
  if (!(processes === 1)) return 0;
  const raw = flag ?? env.GROCKETD_IO_THREADS ?? "0";
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n > 256) return 0;
  return n === 0 ? availableParallelism() : n;
}

async function main(): Promise<void> {
  startupMark("master", "process-start", performance.timeOrigin);
  startupMark("master", "entry-loaded"); // the command's module graph is evaluated
  let cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (err) {
    fail(err, "bad arguments", startupLogFormat(undefined, process.env, process.cwd()));
  }
  if (cli.help) {
    process.stdout.write(usage);
    return;
  }
  if (cli.version) {
    process.stdout.write(`grocketd ${VERSION} (module API ${API_VERSION}, Bun ${Bun.version})\n`);
    return;
  }
  if (cli.command === "reload") {
    let r;
    try {
      const { reloadAndWait } = await import("./cli/reload-command.ts"); // only this command needs it
      r = await reloadAndWait(cli, process.env, process.cwd());
    } catch (err) {
      fail(err, "cannot reload");
    }
    process.stdout.write(r.out);
    process.stderr.write(r.err);
    process.exit(r.code);
  }
  // The I/O threads load their module graph while the plan is built (master/worker-prewarm.ts).
  if (!cli.check) prewarmWorkers(IO_THREAD_URL, prewarmCount(cli.threads, process.env));
  let plan;
  try {
    plan = await buildStartPlan(cli, process.env, process.cwd());
  } catch (err) {
    // --check answers a person; serving answers the log pipeline too.
    fail(err, "cannot start", cli.check ? "text" : startupLogFormat(cli.config, process.env, process.cwd()));
  }
  startupMark("master", "plan-validated"); // config, modules imported and checked, llhttp verified
  // The prewarmed I/O threads import the (now validated) modules while the master runs its init hooks.
  if (!cli.check && plan.config.server.processes === 1) sendToPrewarmed(IO_THREAD_URL, { t: "preload", modules: plan.modules.map((m) => ({ file: m.file, name: m.def.name })) } satisfies ToThread, plan.threads);
  if (cli.check) {
    process.stdout.write(
      `grocketd: configuration OK${plan.configFile ? ` (${plan.configFile})` : ""}\n` +
        plan.modules.map((m) => `  module ${m.def.name}@${m.def.version} (${m.file})\n`).join("") +
        libraryLines(plan).join("") +
        plan.bindings.map((b) => `  listen ${b.entry.url} -> ${b.module}\n`).join("") +
        `  io.threads ${plan.threads}\n`,
    );
    return;
  }
  const log = createLogger({ level: plan.config.log.level, format: plan.config.log.format, where: "master" });
  // The status listener (if configured) answers from before the threads start until the master is done draining.
  let status: StatusListener | null = null;
  try {
    // Imported only when configured: node:http and node:crypto are part of its graph, milliseconds of every start.
    if (plan.config.status.listen !== "") status = (await import("./status/status-server.ts")).StatusListener.start(plan.config, log);
  } catch (err) {
    fail(err, "cannot start", plan.config.log.format);
  }
  const code = await runMaster(plan, log, { cli, env: { ...process.env }, cwd: process.cwd() }, status?.events);
  status?.stop();
  process.exit(code);
}

setSelfModuleLoader(() => import("./self-module.ts"));
// The single binary starts its multi-process children as itself (entry-path.ts CHILD_PROCESS_ARG). Not awaited at
// the top: the pre-bundled runtime is CommonJS (build/build-dist.ts), which has no top-level await.
if (process.argv[2] === CHILD_PROCESS_ARG) void import("./master/child-main.ts");
else void main();
