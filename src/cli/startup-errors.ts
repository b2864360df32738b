/**
 * @module cli/startup-errors
 * How the command reports a start that fails before the master's logger exists: in the format `log.format` asks
 * for, so a JSON log pipeline (a container's, journald's) gets the reason as one JSON object like every other line,
 * not as text it cannot parse. When the configuration itself is what failed, the format is read on a best-effort
 * basis from the sources that name it (GROCKETD_LOG_FORMAT, else the config file's `[log] format`), in their usual
 * precedence; anything unreadable means text.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describeError, isGrocketdError } from "../errors.ts";
import type { LogFormat } from "../log/logger.ts";

/** log.format as far as it can be told without a valid configuration. */
export function startupLogFormat(configFlag: string | undefined, env: Record<string, string | undefined>, cwd: string): LogFormat {
  const fromEnv = env.GROCKETD_LOG_FORMAT?.trim();
  if (fromEnv === "json" || fromEnv === "text") return fromEnv;
  let file = configFlag ?? env.GROCKETD_CONFIG;
  if (file === undefined && existsSync(resolve(cwd, "grocketd.toml"))) file = "grocketd.toml";
  if (file === undefined) return "text";
  try {
    const raw = Bun.TOML.parse(readFileSync(resolve(cwd, file), "utf8")) as { log?: { format?: unknown } };
    return raw.log?.format === "json" ? "json" : "text";
  } catch {
    return "text";
  }
}

/** The failure as written to stderr: text lines, or one JSON object with the same fields as a log line. */
export function failureText(err: unknown, what: string, format: LogFormat): string {
  const problems = isGrocketdError(err) ? [...err.problems] : [describeError(err)];
  if (format === "json") {
    const code = isGrocketdError(err) ? err.code : "GRK_ERR_UNEXPECTED";
    return JSON.stringify({ time: new Date().toISOString(), level: "error", where: "master", msg: `grocketd: ${what}`, code, problems }) + "\n";
  }
  return `grocketd: ${what}:\n${problems.map((l) => `  - ${l}`).join("\n")}\n`;
}
