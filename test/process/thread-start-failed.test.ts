// An I/O thread that cannot listen says why with a code the master can act on: start-failed carries
// GRK_ERR_LISTEN (the thread used to re-wrap the failure in a plain Error, and the code became GRK_ERR_THREAD_START).
// The thread is started directly, so the master's own port probe (master/port-probe.ts) does not catch it first.
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { defaultConfig } from "../../src/config/keys.ts";
import { parseListenUrl, type ListenEntry } from "../../src/config/listen-url.ts";
import type { FromThread, ToThread } from "../../src/io/messages.ts";
import { ROOT } from "../helpers/grocketd.ts";

test("a listen failure in an I/O thread reaches the master as start-failed with GRK_ERR_LISTEN", async () => {
  const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); // no SO_REUSEPORT: the port is held
  const worker = new Worker(resolve(ROOT, "src/thread/io-thread.ts"));
  try {
    const config = defaultConfig();
    config.log.level = "silent";
    const start: ToThread = {
      t: "start", index: 0, proc: null, config, pool: null,
      modules: [{ file: resolve(ROOT, "modules/echo.ts"), name: "echo" }],
      bindings: [{ entry: parseListenUrl(`tcp://127.0.0.1:${blocker.port}`) as ListenEntry, module: "echo" }],
    };
    const reply = new Promise<FromThread>((res) => worker.addEventListener("message", (e) => res(e.data as FromThread), { once: true }));
    worker.postMessage(start);
    const m = await Promise.race([reply, Bun.sleep(10_000).then(() => null)]);
    expect(m).toMatchObject({ t: "start-failed", code: "GRK_ERR_LISTEN" });
    expect((m as { message: string }).message).toContain(`cannot listen on tcp://127.0.0.1:${blocker.port}`);
  } finally {
    worker.terminate();
    blocker.stop(true);
  }
});
