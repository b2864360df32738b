// The command itself: --help, --version, --check, and refusing to start (before any port opens) with reasons.
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
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
});
