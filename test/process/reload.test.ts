// Live reload (SIGHUP, `grocketd reload`): a new generation starts on the same ports before the old one drains;
// a bad new configuration is refused while the old generation serves; under steady load nothing fails.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT, runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect } from "../helpers/tcp-client.ts";
import { exchange } from "../helpers/http-client.ts";
import { httpLoad } from "../helpers/http-load.ts";
import { text, udpClient } from "../udp/udp-harness.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-reload-"));
const moduleFile = join(dir, "versioned.ts");
const configFile = join(dir, "grocketd.toml");
const pidFile = join(dir, "grocketd.pid");
const template = readFileSync(resolve(import.meta.dir, "../fixtures/modules/versioned.ts"), "utf8").replace(
  /from "[^"]*src\/index\.ts"/,
  `from ${JSON.stringify(resolve(ROOT, "src/index.ts"))}`,
);
const writeModule = (tag: string) => writeFileSync(moduleFile, template.replace(`const VERSION_TAG = "v1"`, `const VERSION_TAG = "${tag}"`));
const writeConfig = (extra = "") =>
  writeFileSync(
    configFile,
    `[server]\nmodules = ["versioned.ts"]\nlisten = ["tcp://127.0.0.1:0", "http://127.0.0.1:0"]\ndrain_ms = 3000\npid_file = ${JSON.stringify(pidFile)}\n[io]\nthreads = 2\n${extra}`,
  );

let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function version(httpPort: number): Promise<string> {
  const { c, responses } = await exchange(httpPort, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  c.end();
  return responses[0]!.text;
}

async function eventually(f: () => Promise<string>, want: string, ms = 3000): Promise<string> {
  const end = performance.now() + ms;
  let got = await f();
  while (got !== want && performance.now() < end) {
    await Bun.sleep(20);
    got = await f();
  }
  return got;
}

/** Lossless reloads of listening sockets need the kernel to move queued connections (Linux ≥ 5.14). */
const MIGRATE = "/proc/sys/net/ipv4/tcp_migrate_req";
let migrateBefore: string | undefined;
let canMigrate = false;
beforeAll(() => {
  try {
    migrateBefore = readFileSync(MIGRATE, "utf8").trim();
    writeFileSync(MIGRATE, "1");
    canMigrate = true;
  } catch {
    canMigrate = false;
  }
});
afterAll(() => {
  if (canMigrate && migrateBefore !== undefined) writeFileSync(MIGRATE, migrateBefore);
});

describe("live reload", () => {
  test("SIGHUP: new module code and config serve on the same ports; the old generation drains", async () => {
    writeModule("v1");
    writeConfig();
    running = await startGrocketd(["--config", configFile], { expectListening: 2 });
    const [tcp, http] = running.ports as [number, number];
    expect(await version(http)).toBe("v1");
    const old = await connect(tcp); // a TCP session of the old generation
    old.write("a\n");
    expect(new TextDecoder().decode(await old.waitBytes(5))).toBe("v1 a\n");
    writeModule("v2");
    process.kill(running.pid, "SIGHUP");
    await running.waitFor(/generation 2 serving \(versioned@1\.0\.0\); draining generation 1/);
    // For a moment both generations accept; new connections soon reach only the new one.
    expect(await eventually(() => version(http), "v2")).toBe("v2");
    const fresh = await connect(tcp);
    fresh.write("b\n");
    expect(new TextDecoder().decode(await fresh.waitBytes(5))).toBe("v2 b\n");
    // The old session is served by the old code until the drain time is nearly over.
    old.write("c\n");
    expect(new TextDecoder().decode(await old.waitBytes(10))).toBe("v1 a\nv1 c\n");
    await old.closed;
    await running.waitFor(/generation 1 stopped/);
    expect(running.output()).toMatch(/term thread \d v1[\s\S]*term thread \d v1/);
    expect(running.output()).not.toMatch(/init master 0 v2/); // master hooks are not re-run
    fresh.end();
  }, 15_000); // the old session is served until the whole drain_ms (3 s) is over

  test("UDP across a reload: the draining generation's sockets close at once, so every sender is answered by the new one", async () => {
    writeModule("v1");
    writeConfig();
    writeFileSync(configFile, readFileSync(configFile, "utf8").replace(`"http://127.0.0.1:0"]`, `"http://127.0.0.1:0", "udp://127.0.0.1:0"]`));
    running = await startGrocketd(["--config", configFile], { expectListening: 3 });
    const [tcp, , udpPort] = running.ports as [number, number, number];
    const old = await connect(tcp); // keeps generation 1 draining for most of its drain_ms
    old.write("a\n");
    await old.waitBytes(5);
    // Senders on many source ports: SO_REUSEPORT spreads them over both threads of whichever generations are bound.
    const clients = await Promise.all(Array.from({ length: 24 }, () => udpClient(udpPort)));
    for (const [i, c] of clients.entries()) c.send(`before ${i}\n`);
    for (const c of clients) await c.waitFor(1);
    writeModule("v2");
    process.kill(running.pid, "SIGHUP");
    await running.waitFor(/generation 2 serving \(versioned@1\.0\.0\); draining generation 1/);
    await Bun.sleep(100);
    // Generation 1 is still draining (its TCP session is open) but no longer holds the UDP port.
    for (const [i, c] of clients.entries()) c.send(`after ${i}\n`);
    for (const [i, c] of clients.entries()) {
      await c.waitFor(2, 1500);
      expect(text(c.got[1]!)).toBe(`v2 after ${i}\n`);
    }
    expect(old.isClosed()).toBe(false);
    for (const c of clients) c.close();
    old.end();
  });

  test("with server.processes = 2, a reload replaces the child processes; SIGTERM during the old one's drain stops both, exit 0", async () => {
    writeModule("v1");
    writeConfig();
    running = await startGrocketd(["--config", configFile], { expectListening: 2, env: { GROCKETD_SERVER_PROCESSES: "2" } });
    const [tcp, http] = running.ports as [number, number];
    const old = await connect(tcp);
    old.write("a\n");
    expect(text(await old.waitBytes(5))).toBe("v1 a\n");
    writeModule("v2");
    process.kill(running.pid, "SIGHUP");
    await running.waitFor(/generation 2 serving \(versioned@1\.0\.0\); draining generation 1/);
    expect(await eventually(() => version(http), "v2", 10_000)).toBe("v2");
    expect(running.output().match(/init process \d v2/g)).toHaveLength(2); // two new children ran the new code
    // Generation 1 is draining (its TCP session is open): SIGTERM now stops both generations cleanly.
    old.write("b\n");
    expect(text(await old.waitBytes(10))).toBe("v1 a\nv1 b\n");
    const code = running.stop("SIGTERM");
    old.write("c\n"); // still served during the drain, by generation 1
    expect(text(await old.waitBytes(15))).toBe("v1 a\nv1 b\nv1 c\n");
    old.end();
    await old.closed;
    expect(await code).toBe(0);
    expect(running.output().match(/term process \d v1/g)).toHaveLength(2);
    expect(running.output().match(/term process \d v2/g)).toHaveLength(2);
    running = undefined;
  }, 45_000); // three generations of two processes started and stopped: 15 s was passed on a loaded machine

  test("a bad configuration on reload is refused with the reasons; the old generation keeps serving", async () => {
    writeModule("v1");
    writeConfig();
    running = await startGrocketd(["--config", configFile], { expectListening: 2 });
    const http = running.ports[1]!;
    writeConfig();
    writeFileSync(configFile, readFileSync(configFile, "utf8").replace("threads = 2", "threads = -5\nthread_count = 3"));
    process.kill(running.pid, "SIGHUP");
    await running.waitFor(/reload refused; generation 1 keeps serving/);
    await running.waitFor(/io\.threads = -5/);
    await running.waitFor(/io\.thread_count: unknown key/);
    expect(await version(http)).toBe("v1");
    // A module that no longer loads is refused the same way.
    writeConfig();
    writeFileSync(moduleFile, "export default 42;\n");
    process.kill(running.pid, "SIGHUP");
    await running.waitFor(/reload refused[\s\S]*reload refused/);
    await running.waitFor(/the default export must be a module made with defineModule/);
    expect(await version(http)).toBe("v1");
  });

  test("`grocketd reload` finds the master through its pid file", async () => {
    writeModule("v1");
    writeConfig();
    running = await startGrocketd(["--config", configFile], { expectListening: 2 });
    writeModule("v3");
    const r = await runGrocketd(["reload", "--config", configFile]);
    expect(r.code).toBe(0);
    // The command waits for the outcome: when it returns, generation 2 serves.
    expect(r.stdout).toBe(`grocketd: reloaded: generation 2 serves (pid ${running.pid}); generation 1 drains\n`);
    expect(running.output()).toMatch(/generation 2 serving/);
    expect(await eventually(() => version(running!.ports[1]!), "v3")).toBe("v3");
    const bad = await runGrocketd(["reload", "--pid-file", join(dir, "nope.pid")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot read pid file .*nope\.pid/);
  });

  test("POST /reload on the status listener reloads and answers with the new generation, or 409 with the reasons", async () => {
    writeModule("v1");
    writeConfig();
    running = await startGrocketd(["--config", configFile], { expectListening: 2, env: { GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" } });
    const status = (await running.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const http = running.ports[1]!;
    expect((await fetch(`${status}/reload`)).status).toBe(405); // GET must not reload
    expect(((await (await fetch(`${status}/status`)).json()) as { processes: number }).processes).toBe(1);
    writeModule("v2");
    writeFileSync(configFile, readFileSync(configFile, "utf8").replace("drain_ms = 3000", "drain_ms = 3000\nprocesses = 2").replace(pidFile, join(dir, "elsewhere.pid")));
    const ok = await fetch(`${status}/reload`, { method: "POST" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ reloaded: true, generation: 2, draining: 1 });
    expect(await eventually(() => version(http), "v2")).toBe("v2");
    expect(((await (await fetch(`${status}/status`)).json()) as { processes: number }).processes).toBe(2); // was stuck at 1
    await running.waitFor(/reload: server\.pid_file changed .*: the pid file stays where it is until a restart/);
    writeFileSync(configFile, readFileSync(configFile, "utf8").replace("threads = 2", "threads = -5"));
    const refused = await fetch(`${status}/reload`, { method: "POST" });
    const body = (await refused.json()) as { reloaded: boolean; reason: string; problems: string[] };
    // The drain of generation 1 may still run: then this reload is refused as "in progress"; retry until it is judged.
    let judged = body;
    for (let i = 0; judged.reason === "a reload is already in progress" && i < 100; i++) {
      await Bun.sleep(50);
      judged = (await (await fetch(`${status}/reload`, { method: "POST" })).json()) as typeof body;
    }
    expect(refused.status).toBe(409);
    expect(judged.reloaded).toBe(false);
    expect(judged.reason).toBe("reload refused; generation 2 keeps serving");
    expect(judged.problems.join("\n")).toMatch(/io\.threads = -5/);
    expect(await version(http)).toBe("v2");
  });

  test("a new generation whose init hangs is given up after server.start_timeout_ms; the old one serves and the next reload works", async () => {
    writeModule("v1");
    writeConfig();
    running = await startGrocketd(["--config", configFile], { expectListening: 2 });
    const http = running.ports[1]!;
    // The short limit only for the generation that hangs (the reload reads it from the new configuration): a healthy
    // one given the same 4 s can miss it on a loaded machine, and the next reload would fail for that.
    writeFileSync(configFile, readFileSync(configFile, "utf8").replace("[server]\n", "[server]\nstart_timeout_ms = 4000\n"));
    writeFileSync(moduleFile, template.replace(/init: \(ctx\) => [^\n]*\n/, 'init: (ctx) => (ctx.role === "thread" ? new Promise<void>(() => {}) : undefined),\n'));
    process.kill(running.pid, "SIGHUP");
    await running.waitFor(/reload failed; generation 1 keeps serving.*did not start within server\.start_timeout_ms \(4000 ms\)/, 20_000);
    expect(await version(http)).toBe("v1");
    writeModule("v3");
    writeConfig();
    process.kill(running.pid, "SIGHUP"); // not refused as "in progress": the hung reload is over once it says so
    await running.waitFor(/generation 2 serving/, 20_000); // the failed one took no number
    expect(running.output()).not.toMatch(/a reload is already in progress/);
    expect(await eventually(() => version(http), "v3", 10_000)).toBe("v3");
  }, 60_000);

  test.skipIf(process.platform !== "linux")("under steady HTTP and TCP load, a reload loses nothing (zero failed requests)", async () => {
    writeModule("v1");
    writeConfig();
    running = await startGrocketd(["--config", configFile], { expectListening: 2 });
    const [tcp, http] = running.ports as [number, number];
    const load = httpLoad(http, 8);
    // Persistent TCP sessions sending continuously through the reload.
    const sessions = await Promise.all(Array.from({ length: 4 }, () => connect(tcp)));
    let sent = 0;
    const feeding = (async () => {
      for (let i = 0; i < 40; i++) {
        for (const s of sessions) s.write(`n${i}\n`);
        sent++;
        await Bun.sleep(25);
      }
    })();
    await Bun.sleep(300);
    writeModule("v2");
    process.kill(running.pid, "SIGHUP");
    await running.waitFor(/generation 2 serving/);
    await Bun.sleep(400);
    const r = await load.stop();
    await feeding;
    if (canMigrate) expect(r.failures).toEqual([]);
    else {
      // Without tcp_migrate_req the kernel resets connections still queued on a closing listener (README): only
      // such connection-level failures are allowed, never a wrong answer, and established sessions lose nothing.
      console.warn(`zero-failure assertion relaxed: cannot set ${MIGRATE} (needs root on Linux ≥ 5.14); ${r.failures.length} connection resets`);
      expect(r.failures.filter((f) => !f.startsWith("connect:") && f !== "connection closed with a request outstanding")).toEqual([]);
    }
    expect(r.ok).toBeGreaterThan(100);
    expect(r.reconnects).toBeGreaterThan(0); // keep-alive clients were moved over with Connection: close
    for (const s of sessions) {
      const got = new TextDecoder().decode(await s.waitBytes(sent * 5, 5000));
      expect(got.split("\n").filter(Boolean)).toHaveLength(sent); // every line answered, none lost
    }
  });
});
