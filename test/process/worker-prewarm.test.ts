// The command starts its I/O threads while it builds the plan (src/master/worker-prewarm.ts): the first generation
// takes those Workers instead of starting new ones, a guess that was too high leaves Workers that are terminated,
// and a prewarmed Worker that died before it was taken is never handed out.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discardPrewarmed, prewarmWorkers, takeWorker } from "../../src/master/worker-prewarm.ts";
import { startGrocketd } from "../helpers/grocketd.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-prewarm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spawns = (out: string) => ({ prewarmed: out.match(/I\/O thread \d+ spawn-prewarmed /g)?.length ?? 0, fresh: out.match(/I\/O thread \d+ spawn /g)?.length ?? 0 });

describe("prewarmed I/O threads", () => {
  test("--threads 2: both I/O threads are the ones started before the plan, and they serve", async () => {
    const s = await startGrocketd(["--module", "modules/hello.ts", "--listen", "http://127.0.0.1:0", "--threads", "2"], { env: { GROCKETD_STARTUP_TRACE: "1" } });
    try {
      expect(spawns(s.output())).toEqual({ prewarmed: 2, fresh: 0 });
      expect(await (await fetch(`http://127.0.0.1:${s.ports[0]}/`)).text()).toBe("Hello, World!");
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 30_000);

  test("a config file sets io.threads = 1: one thread, prewarmed, serves; any others guessed are terminated; it stops cleanly", async () => {
    const cfg = join(dir, "one.toml");
    writeFileSync(cfg, "[io]\nthreads = 1\n");
    // No flag and no environment variable: the guess is one thread per core.
    const s = await startGrocketd(["--config", cfg, "--module", "modules/hello.ts", "--listen", "http://127.0.0.1:0"], { env: { GROCKETD_STARTUP_TRACE: "1" } });
    try {
      expect(spawns(s.output())).toEqual({ prewarmed: 1, fresh: 0 });
      expect(await (await fetch(`http://127.0.0.1:${s.ports[0]}/`)).text()).toBe("Hello, World!");
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 30_000);

  test("a prewarmed Worker that ended before it was taken is not handed out", async () => {
    const bad = join(dir, "throws.ts");
    writeFileSync(bad, 'throw new Error("broken at load");\n');
    const url = Bun.pathToFileURL(bad).href;
    const [w] = prewarmWorkers(url, 1);
    await new Promise((r) => w!.addEventListener("close", r, { once: true }));
    const got = takeWorker(url);
    expect(got.prewarmed).toBe(false);
    expect(got.worker).not.toBe(w);
    got.worker.terminate();
    discardPrewarmed();
  });

  test("a live prewarmed Worker is handed out once", async () => {
    const ok = join(dir, "idle.ts");
    writeFileSync(ok, "setInterval(() => {}, 1000);\n");
    const url = Bun.pathToFileURL(ok).href;
    const [w] = prewarmWorkers(url, 1);
    const first = takeWorker(url);
    const second = takeWorker(url);
    expect(first).toEqual({ worker: w!, prewarmed: true });
    expect(second.prewarmed).toBe(false);
    first.worker.terminate();
    second.worker.terminate();
  });
});
