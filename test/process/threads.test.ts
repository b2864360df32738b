// The real process: several I/O threads on one port, a dying thread replaced, SIGTERM draining in-flight replies.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect } from "../helpers/tcp-client.ts";
import { until } from "../helpers/until.ts";

const FIX = resolve(import.meta.dir, "../fixtures/modules");
const text = (b: Uint8Array) => new TextDecoder().decode(b);
let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

async function ask(port: number, line: string): Promise<string> {
  const c = await connect(port);
  c.write(line);
  const got = text(await c.waitBytes(1, 3000));
  c.end();
  return got;
}

describe("threads and processes", () => {
  test("two I/O threads both receive connections on the same port (SO_REUSEPORT)", async () => {
    running = await startGrocketd(["--module", `${FIX}/thread-id.ts`, "--listen", "tcp://127.0.0.1:0", "--threads", "2"]);
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await ask(running.ports[0]!, "?\n")).trim());
    expect([...seen].sort()).toEqual(["0", "1"]);
  });

  test("a killed I/O thread is logged and replaced, and the port keeps answering", async () => {
    running = await startGrocketd(["--module", `${FIX}/crash.ts`, "--listen", "tcp://127.0.0.1:0", "--threads", "1"]);
    const port = running.ports[0]!;
    expect(await ask(port, "hi\n")).toBe("hi\n");
    const c = await connect(port);
    c.write("crash\n");
    await c.closed; // the thread died with its connections
    await running.waitFor(/deliberate crash of thread 0/);
    await running.waitFor(/I\/O thread 0 exited unexpectedly; restarting in \d+ ms code=1/);
    await running.waitFor(/I\/O thread 0 is serving again/);
    expect(await ask(port, "again\n")).toBe("again\n");
  });

  test("with two threads the port keeps answering while one is replaced", async () => {
    running = await startGrocketd(["--module", `${FIX}/crash.ts`, "--listen", "tcp://127.0.0.1:0", "--threads", "2"]);
    const port = running.ports[0]!;
    const c = await connect(port);
    c.write("crash\n");
    await c.closed;
    // Every attempt is answered by the surviving thread or the replacement; none is refused for long.
    for (let i = 0; i < 20; i++) expect(await ask(port, `n${i}\n`)).toBe(`n${i}\n`);
    await running.waitFor(/is serving again/);
  });

  test("SIGTERM: stop accepting, deliver every in-flight reply, call term (threads, then master), exit 0", async () => {
    running = await startGrocketd(["--module", `${FIX}/slow-echo.ts`, "--listen", "tcp://127.0.0.1:0", "--threads", "2"], {
      env: { SLOW_MS: "400" },
    });
    const port = running.ports[0]!;
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect(port)));
    const sent = clients.map((c, i) => {
      const lines = Array.from({ length: 5 }, (_, k) => `c${i}-${k}\n`).join("");
      c.write(lines);
      return lines;
    });
    await Bun.sleep(100); // requests received, replies still 300 ms away
    const code = running.stop("SIGTERM");
    const got = await Promise.all(clients.map((c, i) => c.waitBytes(sent[i]!.length, 5000).then(text)));
    expect(got).toEqual(sent);
    // The server serves open sessions on during the drain (test/tcp/drain.test.ts): the clients leave once answered.
    for (const c of clients) c.end();
    await Promise.all(clients.map((c) => c.closed));
    expect(await code).toBe(0);
    const out = running.output();
    expect(out).toMatch(/SIGTERM: stopping/);
    expect(out).toMatch(/thread \d finished a reply while stopping/); // ctx.grocketd.stopping is set for the drain
    const order = [...out.matchAll(/(init|term) (master|thread) (\d)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(order.slice(0, 1)).toEqual(["init master"]);
    expect(order.filter((x) => x === "init thread")).toHaveLength(2);
    expect(order.slice(-3)).toEqual(["term thread", "term thread", "term master"]);
    // The port is closed now.
    await expect(connect(port)).rejects.toThrow();
  });

  test("SIGINT works the same and new connections are refused while draining", async () => {
    running = await startGrocketd(["--module", `${FIX}/slow-echo.ts`, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      env: { SLOW_MS: "500" },
    });
    const port = running.ports[0]!;
    const c = await connect(port);
    c.write("one\n");
    await Bun.sleep(50);
    const code = running.stop("SIGINT");
    await running.waitFor(/SIGINT: stopping/);
    // The listener closes a moment after the line (a fixed 50 ms was not always enough on a loaded machine).
    await until(() => connect(port).then((x) => (x.end(), false), () => true), "new connections refused", 10_000, 20);
    expect(text(await c.waitBytes(4))).toBe("one\n");
    c.end(); // served on during the drain until it leaves
    expect(await code).toBe(0);
  });

  test("the drain time bounds shutdown: replies that take longer are cut", async () => {
    running = await startGrocketd(
      ["--module", `${FIX}/slow-echo.ts`, "--listen", "tcp://127.0.0.1:0", "--threads", "1"],
      { env: { SLOW_MS: "5000", GROCKETD_SERVER_DRAIN_MS: "300" } },
    );
    const c = await connect(running.ports[0]!);
    c.write("slow\n");
    await Bun.sleep(50);
    const t0 = performance.now();
    expect(await running.stop("SIGTERM")).toBe(0);
    expect(performance.now() - t0).toBeLessThan(3000);
    await c.closed;
    expect(running.output()).toMatch(/drain time over; cutting connections/);
  });
});
