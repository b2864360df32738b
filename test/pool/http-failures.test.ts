// An http hook that fails, inline and on a handler thread (one serving contract, http/exchange.ts): before its
// response began it is answered 500 (without the fields it set) and the connection goes on; after part of a
// streamed response went out the only honest end is to cut the connection (pool mode: the handler thread's R_CUT
// record), and no last chunk is sent. Either failure is logged with its error and stack.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect, untilReceived, withTimeout } from "../helpers/tcp-client.ts";
import { exchange } from "../helpers/http-client.ts";

const MODULE = resolve(import.meta.dir, "../fixtures/modules/http-failures.ts");
let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

for (const mode of ["inline", "pool"] as const) {
  describe(`http hook failures (${mode})`, () => {
    const start = () =>
      startGrocketd(["--module", MODULE, "--listen", "http://127.0.0.1:0", "--threads", "1"], {
        env: mode === "pool" ? { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" } : {},
        expectListening: 1,
      });

    test("a failure before the response began: 500 without the hook's fields, and the connection goes on", async () => {
      running = await start();
      const { c, responses } = await exchange(running.ports[0]!, get("/before") + get("/"), 2);
      expect(responses[0]!.status).toBe(500);
      expect(responses[0]!.headers["x-set-before-failing"]).toBeUndefined();
      expect(responses[1]!.text).toBe("ok");
      c.end();
      // Logged where the error is known, with where it was thrown (on a handler thread too: the I/O thread used to
      // log only the message that crossed in the record).
      await running.waitFor(/http hook failed; answering 500.*error="failed before answering" stack="at http \(.*http-failures\.ts:\d+:\d+\)/);
    });

    test("a failure mid-stream cuts the connection after the part sent, without the last chunk", async () => {
      running = await start();
      const c = await connect(running.ports[0]!);
      c.write(get("/mid-stream"));
      await untilReceived(c, /part one/);
      await withTimeout(c.closed, 5000, "the connection is cut");
      const got = new TextDecoder().decode(c.received());
      expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(got).toContain("Transfer-Encoding: chunked\r\n");
      expect(got.endsWith("0\r\n\r\n")).toBe(false);
      await running.waitFor(/http hook failed.*error="failed mid-stream"/);
    });
  });
}
