// A start that fails in a thread of a child process is reported with the thread's own code, as without child
// processes: the child's start-failed message carries it (it carried only the text, and every such failure became
// GRK_ERR_THREAD_START in the master's report).
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { ROOT } from "../helpers/grocketd.ts";

const MODULE = resolve(import.meta.dir, "../fixtures/modules/thread-init-fails.ts");

async function failedStart(processes: number): Promise<{ code: number; report: { code?: string; msg?: string } }> {
  const proc = Bun.spawn([process.execPath, resolve(ROOT, "src/grocketd.ts"), "--module", MODULE, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
    cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe",
    env: { ...process.env, GROCKETD_SERVER_PROCESSES: String(processes), GROCKETD_LOG_FORMAT: "json", GROCKETD_SERVER_START_TIMEOUT_MS: "20000" },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const lines = (out + err).split("\n").filter((l) => l.includes('"could not start') || l.includes("could not start"));
  return { code, report: JSON.parse(lines.at(-1) ?? "{}") };
}

test("a thread's init failure keeps GRK_ERR_MODULE_HOOK with and without child processes", async () => {
  const [one, two] = await Promise.all([failedStart(1), failedStart(2)]);
  expect(one.code).toBe(1);
  expect(one.report.code).toBe("GRK_ERR_MODULE_HOOK");
  expect(two.code).toBe(1);
  expect(two.report.msg).toContain("process 0 could not start");
  expect(two.report.code).toBe("GRK_ERR_MODULE_HOOK");
}, 60_000);
