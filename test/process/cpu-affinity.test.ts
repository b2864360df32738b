// io.cpu_affinity through the real process: each I/O thread pins itself (sched_setaffinity over bun:ffi), which
// /proc/<pid>/task/<tid>/status confirms, while the master thread keeps its mask; CPU numbers that do not exist
// are refused at start-up. Linux only (elsewhere the setting is a warning and no effect).
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuCount } from "../../src/config/cpu-count.ts";
import { runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { kiss } from "../helpers/kiss.ts";
import { connect } from "../helpers/tcp-client.ts";

const linux = process.platform === "linux";
const dir = mkdtempSync(join(tmpdir(), "grocketd-affinity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

const allowed = (statusFile: string) => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(statusFile, "utf8"))?.[1];

describe.skipIf(!linux)("io.cpu_affinity on Linux", () => {
  test("each I/O thread is pinned to cpu_affinity[i % n]; the master thread is not", async () => {
    // The last CPU, so that on a machine with more than one the pinned mask differs from the inherited one.
    const cpu = cpuCount() - 1;
    const config = join(dir, "affinity.toml");
    writeFileSync(config, `[server]\nlisten = ["tcp://127.0.0.1:0"]\n[io]\nthreads = 2\ncpu_affinity = [${cpu}]\n`);
    const before = allowed("/proc/self/status");
    running = await startGrocketd(["--config", config]);
    await running.waitFor(/I\/O thread 0 pinned[\s\S]*I\/O thread 1 pinned|I\/O thread 1 pinned[\s\S]*I\/O thread 0 pinned/);
    const pinned = [...running.output().matchAll(/I\/O thread (\d) pinned to CPU (\d+) tid=(\d+)/g)];
    expect(pinned.map((m) => [m[1], m[2]]).sort()).toEqual([["0", String(cpu)], ["1", String(cpu)]]);
    for (const m of pinned) expect(allowed(`/proc/${running.pid}/task/${m[3]}/status`)).toBe(String(cpu));
    expect(allowed(`/proc/${running.pid}/status`)).toBe(before); // the master (main thread) keeps its mask

    const c = await connect(running.ports[0]!);
    c.write(kiss(1));
    expect((await c.waitBytes(44)).length).toBe(44); // and it serves as usual
    c.end();
  });

  test.skipIf(cpuCount() < 2)("a two-CPU list: thread i goes to cpu_affinity[i % 2] (threads 0 and 2 share a CPU)", async () => {
    const config = join(dir, "affinity-two.toml");
    writeFileSync(config, `[server]\nlisten = ["tcp://127.0.0.1:0"]\n[io]\nthreads = 3\ncpu_affinity = [1, 0]\n`);
    running = await startGrocketd(["--config", config]);
    for (const i of [0, 1, 2]) await running.waitFor(new RegExp(`I/O thread ${i} pinned`));
    const pinned = [...running.output().matchAll(/I\/O thread (\d) pinned to CPU (\d+) tid=(\d+)/g)];
    expect(pinned.map((m) => [m[1], m[2]]).sort()).toEqual([["0", "1"], ["1", "0"], ["2", "1"]]);
    for (const m of pinned) expect(allowed(`/proc/${running.pid}/task/${m[3]}/status`)).toBe(m[2]);
  });
});

test("a CPU number this machine does not have is refused, naming the key, the value and the source", async () => {
  const r = await runGrocketd(["--listen", "tcp://127.0.0.1:0", "--check"], { env: { GROCKETD_IO_CPU_AFFINITY: `0,${cpuCount()}` } });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`environment GROCKETD_IO_CPU_AFFINITY: io.cpu_affinity[1] = "${cpuCount()}": CPU ${cpuCount()} does not exist`);
});

test("io.cpu_affinity from the environment is a comma-separated list of CPU numbers", async () => {
  const r = await runGrocketd(["--listen", "tcp://127.0.0.1:0", "--check"], { env: { GROCKETD_IO_CPU_AFFINITY: "0, 0" } });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
});
