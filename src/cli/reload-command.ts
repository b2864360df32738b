/**
 * @module cli/reload-command
 * `grocketd reload`: finds the running master through its pid file (`--pid-file`, else `server.pid_file` from the
 * environment or the config file) and sends it SIGHUP. What the reload did is in the master's log.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ErrorCodes, GrocketdError, describeError } from "../errors.ts";
import { checkSource, readConfigFile } from "../config/load-config.ts";
import type { CliOptions } from "./args.ts";

function pidFileOf(cli: CliOptions, env: Record<string, string | undefined>, cwd: string): string {
  if (cli.pidFile) return resolve(cwd, cli.pidFile);
  if (env.GROCKETD_SERVER_PID_FILE) return resolve(cwd, env.GROCKETD_SERVER_PID_FILE);
  let configFile = cli.config ?? env.GROCKETD_CONFIG;
  if (configFile === undefined && existsSync(resolve(cwd, "grocketd.toml"))) configFile = "grocketd.toml";
  if (configFile !== undefined) {
    const { layer } = checkSource(readConfigFile(resolve(cwd, configFile)));
    if (layer.server?.pid_file) return resolve(cwd, layer.server.pid_file);
  }
  throw new GrocketdError(ErrorCodes.CLI, "reload: no pid file known (give --pid-file FILE, or set server.pid_file in the configuration)");
}

/** Sends SIGHUP to the running master; returns its pid. */
export function sendReload(cli: CliOptions, env: Record<string, string | undefined>, cwd: string): number {
  const file = pidFileOf(cli, env, cwd);
  let pid: number;
  try {
    pid = Number(readFileSync(file, "utf8").trim());
  } catch (err) {
    throw new GrocketdError(ErrorCodes.CLI, `reload: cannot read pid file ${file}: ${describeError(err)} (is grocketd running?)`);
  }
  if (!Number.isInteger(pid) || pid <= 0) throw new GrocketdError(ErrorCodes.CLI, `reload: pid file ${file} does not hold a process id`);
  try {
    process.kill(pid, "SIGHUP");
  } catch (err) {
    throw new GrocketdError(ErrorCodes.CLI, `reload: cannot signal process ${pid} from ${file}: ${describeError(err)}`);
  }
  return pid;
}
