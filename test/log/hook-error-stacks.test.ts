// A hook that throws is logged with its stack (frames with file:line), so "undefined is not an object" can be
// traced; at most a few stacks per module and minute, then a count, so a module failing on every packet cannot
// flood the log.
import { afterEach, expect, test } from "bun:test";
import { createLogger, RateLimitedLog } from "../../src/log/logger.ts";
import { defineModule } from "../../src/index.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { connect } from "../helpers/tcp-client.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

function deepRead(o: { a?: { b: number } }): number {
  return o.a!.b; // throws a TypeError when o.a is undefined
}

test("a throwing proc is logged with its message and a stack that names this file", async () => {
  server = startInProcess(
    defineModule({ name: "thrower", version: "1.0.0", grocketd: "^0.1.0", proc: () => String(deepRead({})) }),
  );
  const c = await connect(server.port);
  c.write("x");
  await c.closed;
  const line = server.logs.find((l) => l.includes("proc threw"))!;
  expect(line).toContain("module=thrower");
  expect(line).toMatch(/error="[^"]*(undefined is not an object|Cannot read)/);
  expect(line).toMatch(/stack="at deepRead \([^)]*hook-error-stacks\.test\.ts:\d+:\d+\)/);
});

test("stacks are rate-limited per module: the budget, then a running count; other modules keep theirs", () => {
  const lines: string[] = [];
  const noisy = new RateLimitedLog(createLogger({ level: "debug", format: "text", where: "io-0", sink: (_l, s) => lines.push(s) }), 100, 3);
  for (let i = 0; i < 5; i++) noisy.error("proc threw", { module: "a" }, new Error(`boom ${i}`));
  noisy.error("proc threw", { module: "b" }, new Error("other"));
  noisy.error("proc threw", { module: "a" }, "a thrown string has no stack");
  expect(lines.map((l) => (l.includes("stack=") ? "stack" : /stacks_suppressed=(\d+)/.exec(l)?.[0] ?? "none"))).toEqual([
    "stack", "stack", "stack", "stacks_suppressed=1", "stacks_suppressed=2", "stack", "none",
  ]);
  expect(lines[4]).toContain("error=\"boom 4\"");
  expect(lines[6]).toContain('error="a thrown string has no stack"');
});
