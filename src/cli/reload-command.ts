/**
 * @module cli/reload-command
 * `grocketd reload`: finds the running master through its pid file (`--pid-file`, else `server.pid_file` from the
 * environment or the config file), checks that the pid is a grocketd master (cli/pid-file.ts), sends it SIGHUP
 * and waits for what the reload came to, which the master writes beside its pid file (cli/reload-record.ts).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { grocketdError, describeError } from "../errors.ts";
import { checkSource, readConfigFile } from "../config/load-config.ts";
import type { CliOptions } from "./args.ts";
import { notGrocketdMaster, readPid } from "./pid-file.ts";
import { readReloadRecords, reloadFileOf } from "./reload-record.ts";

function pidFileOf(cli: CliOptions, env: Record<string, string | undefined>, cwd: string): string {
  if (cli.pidFile) return resolve(cwd, cli.pidFile);
  if (env.GROCKETD_SERVER_PID_FILE) return resolve(cwd, env.GROCKETD_SERVER_PID_FILE);
  let configFile = cli.config ?? env.GROCKETD_CONFIG;
  if (configFile === undefined && existsSync(resolve(cwd, "grocketd.toml"))) configFile = "grocketd.toml";
  if (configFile !== undefined) {
    const { layer } = checkSource(readConfigFile(resolve(cwd, configFile)));
    if (layer.server?.pid_file) return resolve(cwd, layer.server.pid_file);
  }
  throw grocketdError("GRK_ERR_CLI", "noPidFile", {});
}

/** What `grocketd reload` came to: the exit code and the lines for stdout or stderr. */
export interface ReloadResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** How long the master may take to take the signal (its SIGHUP handler writes the "running" record at once). */
const ACK_MS = 10_000;
const POLL_MS = 50;

/**
 * Checks that the pid file names a running grocketd master, sends it SIGHUP and waits for the outcome through the
 * master's reload record (cli/reload-record.ts): exit 0 once the new generation serves, 1 when the reload was
 * refused or failed (with the reasons), 1 when the master does not answer or exits meanwhile. Throws GRK_ERR_CLI
 * (exit 2) when there is no pid file or it names no grocketd master.
 */
export async function reloadAndWait(cli: CliOptions, env: Record<string, string | undefined>, cwd: string): Promise<ReloadResult> {
  const file = pidFileOf(cli, env, cwd);
  const pid = readPid(file);
  if (typeof pid === "string") throw grocketdError("GRK_ERR_CLI", "pidFile", { problem: pid });
  const not = notGrocketdMaster(pid);
  if (not !== null) throw grocketdError("GRK_ERR_CLI", "notMaster", { file, pid, why: not.replace(/^process \d+ /, "it ") });
  const records = reloadFileOf(file);
  const before = Math.max(0, ...readReloadRecords(records, pid).map((r) => r.seq));
  try {
    process.kill(pid, "SIGHUP");
  } catch (err) {
    throw grocketdError("GRK_ERR_CLI", "signal", { pid, file, reason: describeError(err) }, { cause: err });
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as { code?: string }).code === "EPERM";
    }
  };
  let deadline = performance.now() + ACK_MS;
  let waited: "ack" | "outcome" = "ack";
  for (;;) {
    const mine = readReloadRecords(records, pid).find((r) => r.seq > before);
    if (mine !== undefined && waited === "ack") {
      waited = "outcome";
      deadline = performance.now() + mine.wait_ms;
    }
    const o = mine?.state === "done" ? mine.outcome : undefined;
    if (o !== undefined) {
      if (o.ok) return { code: 0, out: `grocketd: reloaded: generation ${o.generation} serves (pid ${pid}); generation ${o.draining} drains\n`, err: "" };
      return { code: 1, out: "", err: `grocketd: reload refused: ${o.reason}\n${o.problems.map((p) => `  - ${p}\n`).join("")}` };
    }
    if (!alive()) return { code: 1, out: "", err: `grocketd: reload: the master (pid ${pid}) exited before the reload finished; see its log\n` };
    if (performance.now() > deadline) {
      const what = waited === "ack" ? `did not take the signal within ${ACK_MS / 1000} s (no record in ${records})` : `has not finished the reload`;
      return { code: 1, out: "", err: `grocketd: reload: SIGHUP sent to ${pid}, but the master ${what}; its log says how it goes\n` };
    }
    await Bun.sleep(POLL_MS);
  }
}
