/**
 * @module cli/pid-file
 * `server.pid_file`, written so that it cannot be turned against whoever runs grocketd, and read so that
 * `grocketd reload` signals only a grocketd master.
 * - Writing never follows a symbolic link: the pid goes into a temporary file created exclusively (O_CREAT|O_EXCL|
 *   O_NOFOLLOW) in the same directory, which is then renamed over the path (rename replaces a link, it never
 *   writes through it). A path that is a symbolic link, or not a regular file, is refused at start-up; so is a pid
 *   file of a grocketd master that still runs. A stale one (its process is gone, or is something else now) is
 *   replaced. At exit the file is removed only if it still holds this process's pid.
 * - Identity: a pid file may be stale and its pid reused by any process, and SIGHUP ends most programs. A process is
 *   taken for a grocketd master when its command line (Linux: /proc/<pid>/cmdline; elsewhere `ps -o command=`)
 *   names a `grocketd` program or script (`bun src/grocketd.ts`, the single binary `grocketd`, the `grocketd` bin)
 *   and is not a child process of multi-process mode. The command line was chosen over an environment marker because
 *   /proc/<pid>/environ shows only the environment the process was started with, which its parent chose, so a
 *   marker there would prove nothing about the program; the command line names the program that runs.
 */
import { closeSync, constants, fsyncSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describeError, grocketdError } from "../errors.ts";
import { CHILD_PROCESS_ARG } from "../entry-path.ts";

/** Writes `text` to `path` through an exclusively created temporary file and a rename; never follows a link at `path`. */
export function replaceFileSafely(path: string, text: string, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  let written = false;
  try {
    writeSync(fd, text);
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) unlinkSync(tmp);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

/** The pid a pid file holds, or a sentence saying why there is none. */
export function readPid(path: string): number | string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    return `cannot read pid file ${path}: ${describeError(err)}`;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : `pid file ${path} does not hold a process id`;
}

/** The process's arguments, [] when no such process runs, null when this platform cannot tell. */
function commandLine(pid: number): string[] | null {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as { code?: string }).code === "ESRCH") return [];
    // EPERM: it runs, as another user.
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
  } catch {
    // no /proc (macOS, BSD), or the process has just gone
  }
  if (Bun.which("ps") === null) return null;
  const r = Bun.spawnSync(["ps", "-o", "command=", "-p", String(pid)], { stdout: "pipe", stderr: "ignore", timeout: 5000 });
  if (r.exitCode !== 0) return [];
  return r.stdout.toString().trim().split(/\s+/).filter((a) => a !== "");
}

/** Null when `pid` is a running grocketd master; otherwise why it is not one. */
export function notGrocketdMaster(pid: number): string | null {
  const args = commandLine(pid);
  if (args === null) return `cannot tell what process ${pid} runs on this platform (no /proc and no ps)`;
  if (args.length === 0) return `no process ${pid} is running (the pid file is stale)`;
  if (args.includes(CHILD_PROCESS_ARG) || args.some((a) => /child-main\.[jt]s$/.test(a))) return `process ${pid} is a grocketd child process, not the master`;
  const names = args.slice(0, 3).map((a) => basename(a));
  if (names.some((n) => /^grocketd([.-]|$)/i.test(n))) return null;
  return `process ${pid} is not grocketd (its command line is ${JSON.stringify(args.slice(0, 4).join(" "))})`;
}

/**
 * Start-up check of `server.pid_file`: throws (with a message naming the key) when the path is a symbolic link,
 * not a regular file, or the pid file of a grocketd master that still runs; a stale pid file is fine.
 */
export function claimPidFile(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return;
    throw grocketdError("GRK_ERR_PID_FILE", "unreadable", { path: JSON.stringify(path), reason: describeError(err) }, { cause: err });
  }
  if (st.isSymbolicLink()) throw grocketdError("GRK_ERR_PID_FILE", "symlink", { path: JSON.stringify(path) });
  if (!st.isFile()) throw grocketdError("GRK_ERR_PID_FILE", "notFile", { path: JSON.stringify(path) });
  const pid = readPid(path);
  if (typeof pid === "number" && pid !== process.pid && notGrocketdMaster(pid) === null) {
    throw grocketdError("GRK_ERR_PID_FILE", "running", { path: JSON.stringify(path), pid });
  }
}

/** Writes this process's pid to `path` (claimPidFile ran at start-up). */
export function writePidFile(path: string): void {
  const st = lstatOrNull(path);
  if (st?.isSymbolicLink()) throw grocketdError("GRK_ERR_PID_FILE", "becameSymlink", { path: JSON.stringify(path) });
  replaceFileSafely(path, `${process.pid}\n`);
}

/** Removes `path` if it is still this process's pid file. */
export function removePidFile(path: string): void {
  removeIfOurs(path, (text) => Number(text.trim()) === process.pid);
}

/** Removes the regular file `path` when `isOurs(its text)` holds (another instance may have replaced it). */
export function removeIfOurs(path: string, isOurs: (text: string) => boolean): void {
  const st = lstatOrNull(path);
  if (st === null || !st.isFile()) return;
  try {
    if (isOurs(readFileSync(path, "utf8"))) unlinkSync(path);
  } catch {
    // gone, unreadable, or not ours
  }
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
