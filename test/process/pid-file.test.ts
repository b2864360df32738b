// server.pid_file and `grocketd reload` against a hostile or stale file system: the pid file is never written
// through a symbolic link, a stale one is replaced, a running master's is not; `grocketd reload` signals only a
// grocketd master and waits for the outcome (exit 0 when the new generation serves, 1 with the reasons when refused).
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";

const COUNTED = resolve(import.meta.dir, "../fixtures/modules/counted.ts");
const dir = mkdtempSync(join(tmpdir(), "grocketd-pidfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const started: Running[] = [];
const others: Array<{ kill(sig?: number | NodeJS.Signals): void }> = [];
afterEach(async () => {
  for (const r of started.splice(0)) await r.stop("SIGKILL");
  for (const p of others.splice(0)) p.kill("SIGKILL");
});

let n = 0;
const fresh = (name: string) => join(dir, `${++n}-${name}`);
const args = ["-m", COUNTED, "--listen", "tcp://127.0.0.1:0", "--threads", "1"];

async function serve(pidFile: string, extraEnv: Record<string, string> = {}): Promise<Running> {
  const r = await startGrocketd(args, { env: { GROCKETD_SERVER_PID_FILE: pidFile, ...extraEnv } });
  started.push(r);
  return r;
}

/** Waits until `f` holds (the pid file is written just after the "listening" line). */
async function until(f: () => boolean, ms = 5000): Promise<boolean> {
  const end = performance.now() + ms;
  while (!f() && performance.now() < end) await Bun.sleep(20);
  return f();
}

describe("server.pid_file", () => {
  test("a pid file path that is a symbolic link (to a file, or dangling) is refused and nothing is written through it", async () => {
    const precious = fresh("precious.txt");
    writeFileSync(precious, "do not overwrite\n");
    const link = fresh("grocketd.pid");
    symlinkSync(precious, link);
    const dangling = fresh("dangling.pid");
    const target = fresh("created-through-link");
    symlinkSync(target, dangling);
    for (const path of [link, dangling]) {
      const r = await runGrocketd(args, { env: { GROCKETD_SERVER_PID_FILE: path } });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain(`server.pid_file = ${JSON.stringify(path)} is a symbolic link; refusing to follow it`);
      expect(lstatSync(path).isSymbolicLink()).toBe(true);
    }
    expect(readFileSync(precious, "utf8")).toBe("do not overwrite\n");
    expect(existsSync(target)).toBe(false);
  });

  test("written whole through a private temporary file (none left behind); a stale pid file is replaced; a running master's is refused", async () => {
    // Stale: the pid of a process that has exited, and the pid of a live process that is not grocketd.
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    const sleeper = Bun.spawn(["sleep", "30"]);
    others.push(sleeper);
    for (const stalePid of [dead.pid, sleeper.pid]) {
      const pidFile = fresh("grocketd.pid");
      writeFileSync(pidFile, `${stalePid}\n`);
      const r = await serve(pidFile);
      expect(await until(() => readFileSync(pidFile, "utf8") === `${r.pid}\n`)).toBe(true);
      expect(lstatSync(pidFile).isFile()).toBe(true);
      await r.stop("SIGTERM");
      expect(existsSync(pidFile)).toBe(false); // removed at exit
    }
    const pidFile = fresh("grocketd.pid");
    const first = await serve(pidFile);
    expect(await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") === `${first.pid}\n`)).toBe(true);
    const second = await runGrocketd(args, { env: { GROCKETD_SERVER_PID_FILE: pidFile } });
    expect(second.code).toBe(1);
    expect(second.stdout + second.stderr).toContain(`belongs to grocketd process ${first.pid}, which is still running`);
    expect(readFileSync(pidFile, "utf8")).toBe(`${first.pid}\n`);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 30_000);
});

describe("grocketd reload", () => {
  test("refuses to signal a pid that is not a grocketd master (a stale pid file now naming another program)", async () => {
    const sleeper = Bun.spawn(["sleep", "30"]);
    others.push(sleeper);
    const pidFile = fresh("grocketd.pid");
    writeFileSync(pidFile, `${sleeper.pid}\n`);
    const r = await runGrocketd(["reload", "--pid-file", pidFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`names process ${sleeper.pid}, and it is not grocketd`);
    expect(r.stderr).toContain("no signal sent");
    await Bun.sleep(200);
    expect(sleeper.exitCode).toBeNull(); // SIGHUP would have ended it
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    writeFileSync(pidFile, `${dead.pid}\n`);
    const stale = await runGrocketd(["reload", "--pid-file", pidFile]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain("the pid file is stale");
  });

  test("waits for the outcome: exit 0 once the new generation serves, exit 1 with the reasons when the reload is refused", async () => {
    const pidFile = fresh("grocketd.pid");
    const configFile = fresh("grocketd.toml");
    writeFileSync(configFile, `[server]\npid_file = ${JSON.stringify(pidFile)}\ndrain_ms = 500\n`);
    const r = await startGrocketd(["--config", configFile, ...args]);
    started.push(r);
    expect(await until(() => existsSync(pidFile))).toBe(true);
    const ok = await runGrocketd(["reload", "--config", configFile]);
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, `grocketd: reloaded: generation 2 serves (pid ${r.pid}); generation 1 drains\n`, ""]);
    await r.waitFor(/generation 1 stopped/);
    writeFileSync(configFile, `[server]\npid_file = ${JSON.stringify(pidFile)}\ndrain_ms = 500\n[io]\nthreads = -5\n`);
    const bad = await runGrocketd(["reload", "--pid-file", pidFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("grocketd: reload refused: reload refused; generation 2 keeps serving\n");
    expect(bad.stderr).toMatch(/  - .*grocketd\.toml line 5: io\.threads = -5/);
    expect(r.proc.exitCode).toBeNull(); // still serving
  }, 30_000);
});
