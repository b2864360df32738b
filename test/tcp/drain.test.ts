// The drain (issue 12, item 10): on SIGTERM or reload, open TCP sessions are read and answered on until the client
// closes them or server.drain_ms runs out, and only then cut; the module's `draining` hook is called once per
// connection when the drain begins and what it returns reaches the client. Was: reading stopped at once, so 256
// pipelined packets the client had already sent went unanswered, and every reload ended every session.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { defineModule } from "../../src/index.ts";
import { validateManifest } from "../../src/module/manifest.ts";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { lineCheck } from "../helpers/line-check.ts";
import { connect, type TestClient } from "../helpers/tcp-client.ts";

const PROBE = resolve(import.meta.dir, "../fixtures/modules/drain-probe.ts");
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const MiB = 1024 * 1024;

let running: Running | undefined;
let server: InProcessServer | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
  server?.stop();
  server = undefined;
});

function serve(drainMs: number, env: Record<string, string> = {}) {
  return startGrocketd(["--module", PROBE, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
    env: { GROCKETD_SERVER_DRAIN_MS: String(drainMs), ...env },
  });
}

/** Sends `line` and waits for its echo (lock-step, so each answer is known to come from after the last one). */
async function ping(c: TestClient, line: string): Promise<void> {
  const before = c.received().length;
  c.write(line);
  const got = await c.waitBytes(before + line.length, 5000);
  expect(text(got.subarray(before))).toBe(line);
}

describe("drain", () => {
  test("SIGTERM with 256 pipelined packets not yet read: every one is answered, after the draining hook's reply", async () => {
    running = await serve(15_000);
    const c = await connect(running.ports[0]!);
    c.pause();
    c.write("big 32\n"); // 32 MiB of reply: the socket buffers fill and the server's output passes high water
    await Bun.sleep(300); // so it stops reading
    const lines = Array.from({ length: 256 }, (_, i) => `n${i}\n`).join("");
    c.write(lines); // these wait in the server's receive buffer
    await Bun.sleep(200);
    const code = running.stop("SIGTERM");
    await running.waitFor(/draining called for conn \d+ on thread/);
    c.resume();
    const tail = `DRAINING thread\n${lines}`;
    const got = await c.waitBytes(32 * MiB + tail.length, 20_000);
    expect(got.length).toBe(32 * MiB + tail.length);
    expect(got[32 * MiB - 1]).toBe(0x7a);
    expect(text(got.subarray(32 * MiB))).toBe(tail); // was: the 256 never answered, the connection closed
    c.end();
    expect(await code).toBe(0);
    running = undefined;
  });

  test("a long-lived session is answered on during the drain, then cut when server.drain_ms runs out", async () => {
    running = await serve(2500);
    const c = await connect(running.ports[0]!);
    await ping(c, "hello\n");
    const code = running.stop("SIGTERM");
    const before = c.received().length;
    const told = "DRAINING thread\n";
    expect(text((await c.waitBytes(before + told.length)).subarray(before))).toBe(told);
    for (let i = 0; i < 5; i++) await ping(c, `during ${i}\n`); // was: closed at once
    expect(c.isClosed()).toBe(false);
    await c.closed; // the server cuts it at the deadline; the client never closed it
    expect(await code).toBe(0);
    expect(running.output()).toMatch(/drain time over; cutting connections/);
    running = undefined;
  });

  test("a client that leaves during the drain lets the server stop before the deadline", async () => {
    running = await serve(60_000);
    const c = await connect(running.ports[0]!);
    await ping(c, "hello\n");
    const code = running.stop("SIGTERM");
    await c.waitBytes("hello\nDRAINING thread\n".length);
    await ping(c, "still here\n");
    c.end();
    expect(await code).toBe(0); // long before drain_ms (the helper would kill it after 15 s)
    expect(running.output()).not.toMatch(/drain time over/);
    running = undefined;
  });

  test("reload: the old generation's session is told, answered on, and cut only at its drain deadline", async () => {
    running = await serve(2500);
    const c = await connect(running.ports[0]!);
    await ping(c, "hello\n");
    process.kill(running.pid, "SIGHUP");
    await running.waitFor(/draining generation 1/);
    const before = c.received().length;
    const told = "DRAINING thread\n";
    expect(text((await c.waitBytes(before + told.length)).subarray(before))).toBe(told);
    for (let i = 0; i < 5; i++) await ping(c, `during ${i}\n`);
    await c.closed;
    await running.waitFor(/generation 1 stopped/);
    // The new generation serves meanwhile and after.
    const d = await connect(running.ports[0]!);
    await ping(d, "new\n");
    d.end();
  });

  test("pool mode: draining runs on the handler thread (where the connection's state lives); its reply reaches the client", async () => {
    running = await serve(2500, { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" });
    const c = await connect(running.ports[0]!);
    await ping(c, "hello\n");
    const code = running.stop("SIGTERM");
    const before = c.received().length;
    const told = "DRAINING handler\n";
    expect(text((await c.waitBytes(before + told.length)).subarray(before))).toBe(told);
    await ping(c, "sleep 50\n");
    c.end();
    expect(await code).toBe(0);
    running = undefined;
  });
});

describe("the draining hook", () => {
  function drainingWith(draining: (conn: { send(d: string): boolean; close(): void }) => unknown) {
    return defineModule({ name: "drainer", version: "1.0.0", grocketd: "^0.1.0", check: lineCheck, proc: (p) => p, draining: draining as never });
  }

  test("what it sends and what it returns are written, in that order; it runs once; the connection is served on", async () => {
    let calls = 0;
    server = startInProcess(
      drainingWith((conn) => {
        calls++;
        conn.send("pushed\n");
        return Promise.resolve("returned\n");
      }),
    );
    const c = await connect(server.port);
    await ping(c, "a\n");
    for (let i = 0; i < 2; i++) for (const x of [...server.io.conns]) x.closeWhenDone(); // the drain, twice
    expect(text(await c.waitBytes("a\npushed\nreturned\n".length))).toBe("a\npushed\nreturned\n");
    expect(calls).toBe(1);
    await ping(c, "b\n");
    c.end();
    await c.closed;
  });

  test("conn.close() in it: the reply goes out, then the connection closes", async () => {
    server = startInProcess(
      drainingWith((conn) => {
        conn.close();
        return "bye\n";
      }),
    );
    const c = await connect(server.port);
    await ping(c, "a\n");
    for (const x of [...server.io.conns]) x.closeWhenDone();
    await c.closed;
    expect(text(c.received())).toBe("a\nbye\n");
  });

  test("a throw or a wrong result closes only that connection, logged with the module and the type", async () => {
    server = startInProcess(drainingWith(() => 42));
    const c = await connect(server.port);
    await ping(c, "a\n");
    for (const x of [...server.io.conns]) x.closeWhenDone();
    await c.closed;
    expect(server.logs.join("\n")).toMatch(/draining returned a number \(42\), not a Uint8Array.*drainer|drainer.*draining returned a number \(42\)/);
    server.stop();
    server = startInProcess(
      drainingWith(() => {
        throw new Error("no drain today");
      }),
    );
    const d = await connect(server.port);
    await ping(d, "a\n");
    for (const x of [...server.io.conns]) x.closeWhenDone();
    await d.closed;
    expect(server.logs.join("\n")).toMatch(/draining threw.*no drain today/);
  });

  test("the manifest knows it: a draining that is not a function is refused", () => {
    expect(() => validateManifest({ name: "m", version: "1.0.0", grocketd: "^0.1.0", proc: () => undefined, draining: 5 }, "m.ts")).toThrow(
      /field "draining": expected a function/,
    );
    expect(validateManifest({ name: "m", version: "1.0.0", grocketd: "^0.1.0", proc: () => undefined, draining: () => "x" }, "m.ts").name).toBe("m");
  });
});
