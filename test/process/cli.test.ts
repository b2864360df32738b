// The command itself: --help, --version, --check, and refusing to start (before any port opens) with reasons.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runGrocketd } from "../helpers/grocketd.ts";

const FIX = resolve(import.meta.dir, "../fixtures/modules");

describe("grocketd command", () => {
  test("--help and --version", async () => {
    const h = await runGrocketd(["--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("Usage: bun run grocketd [options]");
    const v = await runGrocketd(["--version"]);
    expect(v.stdout).toMatch(/^grocketd 0\.1\.0 \(module API 0\.1\.0, Bun 1\.4\.4\)/);
  });

  test("--check validates and exits 0 without listening", async () => {
    const r = await runGrocketd(["--check", "--listen", "tcp://127.0.0.1:0", "--threads", "3"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("configuration OK");
    expect(r.stdout).toContain("module echo@1.0.0");
    expect(r.stdout).toContain("io.threads 3");
    expect(r.stdout + r.stderr).not.toContain("listening on");
  });

  test("--check reports every problem and exits 1", async () => {
    const r = await runGrocketd(["--check", "--module", resolve(FIX, "bad-version.ts"), "--threads", "x"], {
      env: { GROCKETD_LOG_LEVEL: "loud" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("grocketd: cannot start:");
    expect(r.stderr).toContain(`field "version": expected a semver version`);
    expect(r.stderr).toContain(`flag --threads: io.threads = "x"`);
    expect(r.stderr).toContain(`environment GROCKETD_LOG_LEVEL: log.level = "loud"`);
  });

  test("a bad config stops start-up before any port opens", async () => {
    const r = await runGrocketd(["--listen", "tcp://127.0.0.1:0", "--threads=-1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("io.threads = -1");
    expect(r.stdout + r.stderr).not.toContain("listening on");
  });

  test("an unknown flag exits 2 and names it", async () => {
    const r = await runGrocketd(["--treads", "2"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--treads");
  });

  test("a module whose thread init fails stops start-up with the reason", async () => {
    const r = await runGrocketd(["--module", resolve(FIX, "init-fails.ts"), "--listen", "tcp://127.0.0.1:0", "--threads", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("init failed in thread 0: no database");
  });

  test("a port already in use is a clear start-up error", async () => {
    const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const r = await runGrocketd(["--listen", `tcp://127.0.0.1:${blocker.port}`, "--threads", "1"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot listen on tcp://127.0.0.1:${blocker.port}`);
    } finally {
      blocker.stop(true);
    }
  });

  test("argument errors are told in plain words, with the nearest known option, and exit 2", async () => {
    const cases: Array<[string[], string]> = [
      [["-V"], "unknown option -V (did you mean -v/--version?); see --help"],
      [["--treads", "2"], "unknown option --treads (did you mean -t/--threads?); see --help"],
      [["-xv"], "unknown option -x in -xv; see --help"],
      [["--config"], "--config needs a value (--config FILE); see --help"],
      [["-c", "--check"], '-c needs a value, but the next argument is the option --check (-c FILE; write -c=--check if the value really starts with "-"); see --help'],
      [["--check=yes"], "--check takes no value (write --check alone, not --check=yes); see --help"],
      [["serve"], 'unexpected argument "serve" (the only command is "reload"; options start with "-"); see --help'],
    ];
    for (const [args, want] of cases) {
      const r = await runGrocketd(args);
      expect([args, r.code, r.stderr]).toEqual([args, 2, `grocketd: bad arguments:\n  - ${want}\n`]);
    }
  });

  test("start-up errors follow log.format = \"json\" (environment or config file): one JSON object with the code and every problem", async () => {
    const viaEnv = await runGrocketd(["--listen", "tcp://127.0.0.1:0", "--threads=-1"], { env: { GROCKETD_LOG_FORMAT: "json" } });
    expect(viaEnv.code).toBe(1);
    const lines = viaEnv.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    const e = JSON.parse(lines[0]!);
    expect(e).toMatchObject({ level: "error", where: "master", msg: "grocketd: cannot start", code: "GRK_ERR_CONFIG" });
    expect(e.problems).toEqual([expect.stringContaining("flag --threads: io.threads = -1")]);
    expect(typeof e.time).toBe("string");

    const dir = mkdtempSync(join(tmpdir(), "grocketd-cli-"));
    try {
      const cfg = join(dir, "grocketd.toml");
      writeFileSync(cfg, '[log]\nformat = "json"\n[io]\nthreads = -2\n[server]\nlisten = ["tcp://127.0.0.1:0"]\n');
      const viaFile = await runGrocketd(["--config", cfg]);
      expect(viaFile.code).toBe(1);
      const f = JSON.parse(viaFile.stderr.trim());
      expect(f.code).toBe("GRK_ERR_CONFIG");
      expect(f.problems).toEqual([`${cfg} line 4: io.threads = -2: Too small: expected number to be >=0`]);
      // Bad arguments too, and errors after the plan (a port in use) come from the master's JSON logger.
      const args = await runGrocketd(["-V"], { env: { GROCKETD_LOG_FORMAT: "json" } });
      expect([args.code, JSON.parse(args.stderr).code]).toEqual([2, "GRK_ERR_CLI"]);
      const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      try {
        const inUse = await runGrocketd(["--listen", `tcp://127.0.0.1:${blocker.port}`, "--threads", "1"], { env: { GROCKETD_LOG_FORMAT: "json" } });
        expect(inUse.code).toBe(1);
        for (const l of inUse.stderr.trim().split("\n")) expect(() => JSON.parse(l)).not.toThrow();
        expect(inUse.stderr).toContain(`cannot listen on tcp://127.0.0.1:${blocker.port}`);
      } finally {
        blocker.stop(true);
      }
      // --check answers a person: text.
      const check = await runGrocketd(["--check", "--config", cfg]);
      expect(check.stderr).toStartWith("grocketd: cannot start:\n  - ");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
