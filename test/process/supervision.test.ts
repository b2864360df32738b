// Supervision (issue 12 items 2-4): the watchdog replaces a thread stuck in a busy loop; a thread that keeps
// crashing is restarted with back-off for ever while the others serve (the server exits only when nothing can start);
// an uncaught exception in module code recycles the thread gracefully. Short stall timeouts keep every test bounded.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect, withTimeout, type TestClient } from "../helpers/tcp-client.ts";
import { udpClient } from "../udp/udp-harness.ts";

const FAULTS = resolve(import.meta.dir, "../fixtures/modules/faults.ts");
const text = (b: Uint8Array) => new TextDecoder().decode(b);
let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

/** Sends a line on `c` and returns the reply line. */
async function say(c: TestClient, line: string, timeoutMs = 3000): Promise<string> {
  const before = c.received().length;
  c.write(`${line}\n`);
  for (;;) {
    const got = text((await c.waitBytes(before + 1, timeoutMs)).subarray(before));
    if (got.endsWith("\n")) return got;
    await Bun.sleep(5);
  }
}

/** Opens connections until one is served by `where` ("thread-0", "handler-1"); returns it. */
async function connectionOn(port: number, where: string): Promise<TestClient> {
  for (let i = 0; i < 200; i++) {
    const c = await connect(port);
    if ((await say(c, "who")) === `${where}\n`) return c;
    c.end();
  }
  throw new Error(`no connection reached ${where}`);
}

/**
 * A new connection and its first answer. A connection that reaches the faulted thread's listen socket in the moment
 * it closes is reset by the kernel (the SO_REUSEPORT handover, as on live reload: README, net.ipv4.tcp_migrate_req):
 * a client reconnects, and so does this, at most twice.
 */
async function freshSay(port: number, line: string): Promise<{ c: TestClient; got: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const c = await connect(port);
      return { c, got: await say(c, line) };
    } catch (err) {
      if (attempt === 2) throw err;
      await Bun.sleep(50);
    }
  }
}

async function statusUrl(r: Running): Promise<string> {
  return (await r.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
}

async function readyz(status: string): Promise<{ code: number; body: string }> {
  const r = await fetch(`${status}/readyz`);
  return { code: r.status, body: await r.text() };
}

/** Polls /readyz until `want` accepts an answer; returns it (bounded). */
async function readyzUntil(status: string, want: (a: { code: number; body: string }) => boolean, ms = 10_000) {
  const end = performance.now() + ms;
  for (;;) {
    const a = await readyz(status);
    if (want(a)) return a;
    if (performance.now() > end) throw new Error(`/readyz never matched; last: ${a.code} ${a.body}`);
    await Bun.sleep(15);
  }
}

describe("watchdog (server.stall_timeout_ms)", () => {
  test("a busy loop in proc on one I/O thread: the other serves on; the stall is logged with thread, time and hook; the thread is replaced", async () => {
    running = await startGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--threads", "2"], {
      env: { GROCKETD_SERVER_STALL_TIMEOUT_MS: "500" },
    });
    const port = running.ports[0]!;
    const stuck = await connectionOn(port, "thread-0");
    const other = await connectionOn(port, "thread-1");
    stuck.write("spin\n");
    // Thread 1 answers all along, before and after the watchdog fires.
    for (let i = 0; i < 8; i++) {
      expect(await say(other, `ping${i}`)).toBe(`ping${i} thread-1\n`);
      await Bun.sleep(100);
    }
    const m = await running.waitFor(/I\/O thread 0 stalled: no heartbeat for (\d+) ms \(server\.stall_timeout_ms 500\) in proc of module faults; terminating it/);
    expect(Number(m[1])).toBeGreaterThanOrEqual(500);
    await stuck.closed; // the stuck thread's connections are lost with it
    await running.waitFor(/I\/O thread 0 was terminated after a stall; restarting in \d+ ms/);
    await running.waitFor(/I\/O thread 0 is serving again/);
    expect(await say(other, "still")).toBe("still thread-1\n");
    const fresh = await connectionOn(port, "thread-0"); // the replacement serves
    expect(await say(fresh, "hello")).toBe("hello thread-0\n");
    expect(running.proc.exitCode).toBeNull();
  }, 30_000);

  test("/readyz is 503 while the only I/O thread is stalled and 200 again once its replacement serves", async () => {
    running = await startGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_SERVER_STALL_TIMEOUT_MS: "500", GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" },
    });
    const status = await statusUrl(running);
    expect(await readyzUntil(status, (a) => a.code === 200)).toEqual({ code: 200, body: "ready\n" });
    const c = await connect(running.ports[0]!);
    c.write("spin\n");
    const down = await readyzUntil(status, (a) => a.code === 503);
    expect(down.body).toMatch(/^not ready: (stalled|nothing serves): I\/O thread 0 (stalled \(proc of module faults\)|down|starting)/);
    await c.closed;
    expect(await readyzUntil(status, (a) => a.code === 200)).toEqual({ code: 200, body: "ready\n" });
    const fresh = await connect(running.ports[0]!);
    expect(await say(fresh, "back")).toBe("back thread-0\n");
  }, 30_000);

  test("pool mode: a handler thread in a busy loop is replaced; its connections close at once, the other handler serves on", async () => {
    running = await startGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "2", GROCKETD_SERVER_STALL_TIMEOUT_MS: "500" },
    });
    const port = running.ports[0]!;
    const stuck = await connectionOn(port, "handler-0");
    const other = await connectionOn(port, "handler-1");
    stuck.write("spin\n");
    for (let i = 0; i < 8; i++) {
      expect(await say(other, `ping${i}`)).toBe(`ping${i} handler-1\n`);
      await Bun.sleep(100);
    }
    await running.waitFor(/handler thread 0 stalled: no heartbeat for \d+ ms \(server\.stall_timeout_ms 500\) in proc of module faults/);
    await stuck.closed; // the handler-lost path: not left hanging
    await running.waitFor(/handler thread 0 is serving again/);
    const fresh = await connectionOn(port, "handler-0");
    expect(await say(fresh, "hello")).toBe("hello handler-0\n");
    expect(await say(other, "still")).toBe("still handler-1\n");
  }, 30_000);
});

describe("crash loops", () => {
  test("a request that calls process.exit(1), sent 12 times in 7 s, never takes the server down", async () => {
    running = await startGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--threads", "2"], {
      env: { GROCKETD_SERVER_RESTART_LIMIT: "2", GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" },
    });
    const status = await statusUrl(running);
    const port = running.ports[0]!;
    for (let i = 0; i < 12; i++) {
      try {
        const c = await connect(port);
        c.write("exit\n");
        await Promise.race([c.closed, Bun.sleep(1000)]);
      } catch {
        // both threads down at this moment: refused, as the kernel does with no listener
      }
      await Bun.sleep(500);
    }
    expect(running.proc.exitCode).toBeNull(); // was: crash loop on both threads, the master exited 1
    expect(running.output()).toMatch(/I\/O thread \d is in a crash loop \(\d+ deaths within 60000 ms\): degraded; it is still restarted/);
    // Once the back-off has run out, both threads serve again.
    await readyzUntil(status, (a) => a.code === 200 && a.body === "ready\n", 40_000);
    const c = await connect(port);
    expect(await say(c, "alive")).toMatch(/^alive thread-[01]\n$/);
  }, 60_000);

  test("one I/O thread in a crash loop: /readyz says degraded (200) while the other serves; the master stays up", async () => {
    running = await startGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--threads", "2"], {
      env: { GROCKETD_SERVER_RESTART_LIMIT: "1", GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0", FAULTS_DIE_THREAD: "1" },
    });
    const status = await statusUrl(running);
    await running.waitFor(/I\/O thread 1 is in a crash loop/);
    const a = await readyzUntil(status, (x) => x.body.startsWith("degraded:"));
    expect(a.code).toBe(200);
    expect(a.body).toMatch(/^degraded: I\/O thread 1 (down \(crash loop; restarting in \d+ ms\)|starting)\n$/);
    const c = await connectionOn(running.ports[0]!, "thread-0");
    expect(await say(c, "served")).toBe("served thread-0\n");
    await running.waitFor(/I\/O thread 1 exited unexpectedly; restarting in 800 ms/); // the 4th death: still restarted
    expect(running.proc.exitCode).toBeNull();
  }, 30_000);

  test("a module that can no longer start at all: the master exits 1 after restart_limit failed starts in a row", async () => {
    const marker = resolve(tmpdir(), `grocketd-faults-${process.pid}-${Date.now()}`);
    try {
      const r = await runGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
        env: { GROCKETD_SERVER_RESTART_LIMIT: "2", FAULTS_MARKER: marker },
        timeoutMs: 20_000,
      });
      const out = r.stdout + r.stderr;
      expect(r.code).toBe(1);
      expect(out.match(/I\/O thread 0 could not start.*cannot start: the marker file exists/g)).toHaveLength(3);
      expect(out).toMatch(/no I\/O thread can start: each failed to start 3 times in a row \(server\.restart_limit 2\)/);
      expect(out).toMatch(/nothing can start any more; exiting/);
    } finally {
      if (existsSync(marker)) unlinkSync(marker);
    }
  }, 30_000);
});

describe("uncaught exceptions in module code", () => {
  for (const [what, line, log] of [
    ["a throw in a timer", "throw", "uncaught exception"],
    ["an unhandled rejection", "reject", "unhandled promise rejection"],
  ] as const) {
    test(`${what}: logged with stack and module, counted, and the I/O thread recycled; its connections are served on`, async () => {
      running = await startGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
        env: { GROCKETD_SERVER_DRAIN_MS: "2000", GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" },
      });
      const status = await statusUrl(running);
      const port = running.ports[0]!;
      const old = await connect(port);
      expect(await say(old, "before")).toBe("before thread-0\n");
      old.write(`${line}\n`);
      await running.waitFor(new RegExp(`${log} in module code; this thread will be recycled module=faults error="deliberate \\w+ in thread-0" stack="Error: deliberate`));
      await running.waitFor(/I\/O thread 0 had an uncaught exception in module code .*recycling it: a replacement starts now/);
      await running.waitFor(/I\/O thread 0 is serving again/);
      // The faulted thread drains: its connection is still answered (was: reset with the thread) ...
      expect(await say(old, "after")).toBe("after thread-0\n");
      // ... while the replacement takes new connections.
      const { c: fresh, got } = await freshSay(port, "new");
      expect(got).toBe("new thread-0\n");
      const s = (await (await fetch(`${status}/status`)).json()) as { errors: { uncaught: number } };
      expect(s.errors.uncaught).toBe(1);
      const metrics = await (await fetch(`${status}/metrics`)).text();
      expect(metrics).toMatch(/grocketd_server_errors_total\{kind="uncaught"\} 1/);
      await old.closed; // closed by the end of the drain (server.drain_ms)
      expect(await say(fresh, "still")).toBe("still thread-0\n");
      expect(await readyz(status)).toEqual({ code: 200, body: "ready\n" });
    }, 30_000);
  }

  test("pool mode: an I/O thread recycled after an uncaught exception drains its connections through its own rings while the replacement serves", async () => {
    const once = resolve(tmpdir(), `grocketd-faults-io-${process.pid}-${Date.now()}`);
    try {
      running = await startGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
        env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "2", GROCKETD_SERVER_DRAIN_MS: "3000", FAULTS_IO_THROW: once },
      });
      const port = running.ports[0]!;
      const old = [await connectionOn(port, "handler-0"), await connectionOn(port, "handler-1")];
      await running.waitFor(/io-0 uncaught exception in module code; this thread will be recycled module=faults error="deliberate throw in thread-0"/);
      await running.waitFor(/I\/O thread 0 is serving again/);
      // The draining thread's connections still reach their handlers (its rings stay attached beside the new ones) ...
      for (const [j, c] of old.entries()) expect(await say(c, "drain")).toBe(`drain handler-${j}\n`);
      // ... while the replacement's connections reach both handlers through fresh rings.
      const { c: fresh, got } = await freshSay(port, "who");
      expect(got).toMatch(/^handler-[01]\n$/);
      for (const j of [0, 1]) expect(await say(await connectionOn(port, `handler-${j}`), "new")).toBe(`new handler-${j}\n`);
      await Promise.all(old.map((c) => c.closed)); // the drain ends them
      expect(await say(fresh, "after")).toMatch(/^after handler-[01]\n$/); // the retired rings took nothing else down
    } finally {
      if (existsSync(once)) unlinkSync(once);
    }
  }, 30_000);

  test("pool mode: a throw in a timer on a handler thread is logged and counted; a replacement takes new connections at once while the faulted one serves its pinned connections until server.drain_ms, then closes them", async () => {
    running = await startGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "2", GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0", GROCKETD_SERVER_DRAIN_MS: "3000" },
    });
    const status = await statusUrl(running);
    const port = running.ports[0]!;
    const pinned = await connectionOn(port, "handler-0");
    const other = await connectionOn(port, "handler-1");
    let closed = false;
    void pinned.closed.then(() => (closed = true));
    pinned.write("throw\n");
    await running.waitFor(/handler-0 uncaught exception in module code; this thread will be recycled module=faults error="deliberate throw in handler-0" stack=/);
    await running.waitFor(/handler thread 0 had an uncaught exception in module code .*recycling it: a replacement starts now/);
    await running.waitFor(/handler thread 0 is serving again/);
    // The connection pinned to the faulted thread is still served by it (before: closed when the thread stopped).
    expect(await say(pinned, "gen")).toBe("handler-0 faulted\n");
    // New connections pinned to handler 0 reach the replacement.
    const fresh = await connectionOn(port, "handler-0");
    expect(await say(fresh, "gen")).toBe("handler-0 fresh\n");
    expect(await say(pinned, "still")).toBe("still handler-0\n");
    expect(await say(other, "on")).toBe("on handler-1\n");
    expect(closed).toBe(false);
    // At server.drain_ms the faulted thread is terminated and what is still pinned to it is closed.
    await withTimeout(pinned.closed, 10_000, "the pinned connection closed at server.drain_ms");
    await running.waitFor(/recycled handler thread 0 stopped; closing the connections still pinned to it/);
    expect(await say(fresh, "after")).toBe("after handler-0\n");
    expect(await say(fresh, "gen")).toBe("handler-0 fresh\n");
    const s = (await (await fetch(`${status}/status`)).json()) as { per_thread: Array<{ role: string; thread: number; uncaught_errors?: number }> };
    expect(s.per_thread.find((t) => t.role === "handler" && t.thread === 0)?.uncaught_errors).toBe(1);
  }, 30_000);

  test("pool mode: after a handler thread faults, UDP datagrams go to its replacement while the faulted thread still serves its pinned TCP connection", async () => {
    running = await startGrocketd(["--module", FAULTS, "--listen", "tcp://127.0.0.1:0", "--listen", "udp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1", GROCKETD_SERVER_DRAIN_MS: "3000" },
      expectListening: 2,
    });
    const [tcpPort, udpPort] = running.ports as [number, number];
    const pinned = await connectionOn(tcpPort, "handler-0");
    const u = await udpClient(udpPort);
    try {
      u.send("gen\n");
      expect(text((await u.waitFor(1))[0]!)).toBe("handler-0 fresh\n");
      pinned.write("throw\n");
      await running.waitFor(/handler thread 0 is serving again/);
      expect(await say(pinned, "gen")).toBe("handler-0 faulted\n");
      u.send("gen\n");
      expect(text((await u.waitFor(2))[1]!)).toBe("handler-0 fresh\n");
    } finally {
      u.close();
    }
  }, 30_000);
});
