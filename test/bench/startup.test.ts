// Tests for `bun run bench:startup` (bench/startup.ts, bench/lib/startup-phases.ts): the phase split of the marks
// GROCKETD_STARTUP_TRACE=1 writes (src/log/startup-trace.ts), and one short run that the marks come from the master
// and from both I/O threads. No timing is asserted.

import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { PHASES, launchedFrom, parseMarks, phasesOf } from "../../bench/lib/startup-phases.ts";
import { perfWorks, perfWrap } from "../../bench/lib/perf-cpu.ts";

const repo = resolve(import.meta.dir, "../..");

describe("startup phases", () => {
  const text = [
    "grocketd-startup master process-start 1010.5",
    "2026-12-01T00:00:00.000Z info  master starting",
    "grocketd-startup master entry-loaded 1100",
    "grocketd-startup wasm compile-start 1120",
    "grocketd-startup wasm compile-done 1150",
    "grocketd-startup master plan-validated 1160",
    "grocketd-startup master master-init-done 1170",
    "grocketd-startup I/O thread 0 spawn 1171",
    "grocketd-startup I/O thread 1 spawn 1172",
    "grocketd-startup I/O thread 1 start-message 1240",
    "grocketd-startup I/O thread 0 start-message 1250",
    "grocketd-startup I/O thread 0 modules-init-done 1270",
    "grocketd-startup I/O thread 1 modules-init-done 1280",
    "grocketd-startup I/O thread 1 listening 1285",
    "grocketd-startup I/O thread 0 listening 1282",
    "grocketd-startup master serving 1290",
  ].join("\n");

  test("marks are parsed, other lines ignored; thread names keep their spaces", () => {
    const marks = parseMarks(text);
    expect(marks.length).toBe(15);
    expect(marks[0]).toEqual({ where: "master", phase: "process-start", at: 1010.5 });
    expect(marks[6]).toEqual({ where: "I/O thread 0", phase: "spawn", at: 1171 });
  });

  test("each phase ends where the previous one does; thread phases wait for the last thread", () => {
    const p = phasesOf(parseMarks(text), 1000, 1300);
    expect(p["process start"]).toBeCloseTo(10.5);
    expect(p["master modules"]).toBeCloseTo(89.5);
    expect(p.validation).toBe(60);
    expect(p["wasm compile"]).toBe(30);
    expect(p["master init"]).toBe(10);
    expect(p["worker start"]).toBe(80); // to thread 0's start message, the later one
    expect(p["thread modules"]).toBe(30);
    expect(p.listen).toBe(5);
    expect(p.serving).toBe(5);
    expect(p["first answer"]).toBe(300);
    // "bundle check" is src/launch.ts's (bin/grocketd); bun src/grocketd.ts has no launcher.
    expect(Object.keys(p).sort()).toEqual(PHASES.map(([n]) => n).filter((n) => n !== "bundle check").sort());
  });

  test("started through src/launch.ts: its check is a phase of its own, before the master's modules", () => {
    const marks = parseMarks(`${text}\ngrocketd-startup master bundle-checked 1030\ngrocketd-startup launch bundle 1031`);
    const p = phasesOf(marks, 1000, 1300);
    expect(p["bundle check"]).toBeCloseTo(19.5);
    expect(p["master modules"]).toBe(70);
    expect(launchedFrom(marks)).toBe("bundle");
    expect(launchedFrom(parseMarks(text))).toBe("sources");
  });

  test("without marks only the total is known", () => {
    expect(phasesOf([], 1000, 1040)).toEqual({ "wasm compile": 0, "first answer": 40 });
  });
});

test(
  "smoke: one run each; grocketd's phases come from the master and both I/O threads, llhttp compiled once",
  async () => {
    const proc = Bun.spawn([process.execPath, "bench/startup.ts", "--runs", "1", "--json", "--timeout", "30"], {
      cwd: repo,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code, err).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.records.map((r: { name: string }) => r.name)).toEqual(["grocketd", "Bun.serve"]);
    const phases = doc.records[0].phases as Record<string, number>;
    for (const [name] of PHASES) if (name !== "bundle check") expect(phases[name], name).toBeGreaterThan(0); // no launcher here
    expect(doc.records[0].from).toBe("sources");
    expect(doc.records[0].wasmCompiles).toBe(1); // by the master, for its check; the I/O threads adopt that module
    expect(err).toContain("grocketd phases");
  },
  60_000,
);

// --perf: the count covers the busy part before stop() and not the sleep after it, and comes back as ms.
test.skipIf(!perfWorks())(
  "perf task-clock counts the child's CPU until stopped",
  async () => {
    const w = perfWrap(["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo busy-done; exec sleep 30"]);
    const proc = Bun.spawn(w.cmd, { stdout: "pipe", stderr: "ignore" });
    const reader = proc.stdout.getReader();
    let seen = "";
    while (!seen.includes("busy-done")) seen += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
    await w.stop();
    const child = w.childOf(proc.pid);
    expect(child).not.toBeNull();
    process.kill(child!, "SIGTERM");
    await proc.exited;
    const ms = w.cpuMs();
    w.dispose();
    expect(ms).not.toBeNull();
    expect(ms!).toBeGreaterThan(5); // 200,000 shell loop turns take tens of ms
    expect(ms!).toBeLessThan(20_000);
  },
  60_000,
);
