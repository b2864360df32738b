// An error on a handler thread crosses the ring whole (src/errors.ts errorToWire/errorFromWire): the I/O thread's
// log line has the handler thread's stack (the module's own file:line, not the I/O thread's ring code) and the
// error's code, as inline mode logs them.
import { afterEach, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect } from "../helpers/tcp-client.ts";

const MODULE = resolve(import.meta.dir, "../fixtures/modules/pool-throws.ts");
let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

test("pool mode: a throwing proc is logged with the handler thread's stack; a wrong reply with its code", async () => {
  running = await startGrocketd(["--module", MODULE, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
    env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" },
    expectListening: 1,
  });
  const a = await connect(running.ports[0]!);
  a.write("throw\n");
  await a.closed;
  const [thrown] = await running.waitFor(/[^\n]*proc rejected[^\n]*/, 10_000);
  expect(thrown).toMatch(/error="[^"]*(undefined is not an object|Cannot read)/);
  expect(thrown).toMatch(/stack="at deepRead \([^)]*pool-throws\.ts:\d+:\d+\)/);

  const b = await connect(running.ports[0]!);
  b.write("number\n");
  await b.closed;
  const [wrong] = await running.waitFor(/[^\n]*proc returned a number[^\n]*/, 10_000);
  expect(wrong).toContain("code=GRK_ERR_PROC_RESULT");
}, 30_000);
