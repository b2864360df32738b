// Libraries in the real process: refusals before any port opens (all at once under --check), init in dependency
// order in the master and every thread with term in reverse, singletons per thread released at term, and the
// kv-store / kv-stats plugin example over TCP and HTTP with module counters in the log.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT, runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { exchange } from "../helpers/http-client.ts";
import { writeLibModule } from "../helpers/module-files.ts";
import { connect } from "../helpers/tcp-client.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-libs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
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

describe("libraries in the running server", () => {
  test("--check reports every library problem at once; a real start is refused the same way before any port opens", async () => {
    const m = (name: string, provides?: Record<string, string>, requires?: Record<string, string>) => writeLibModule(dir, { name, provides, requires });
    const files = [
      m("needs-missing", {}, { nothere: "^1.0.0" }),
      m("needs-new", {}, { lb: "^2.0.0" }),
      m("lib-b", { lb: "1.0.0" }),
      m("lib-a", { la: "1.0.0" }),
      m("dup-a", { la: "1.3.0" }),
      m("cx", { lx: "1.0.0" }, { ly: "1" }),
      m("cy", { ly: "1.0.0" }, { lx: "1" }),
    ];
    const args = [...files.flatMap((f) => ["--module", f]), "--listen", "tcp://127.0.0.1:0?module=lib-a", "--threads", "1"];
    const check = await runGrocketd(["--check", ...args]);
    expect(check.code).toBe(1);
    const lines = check.stderr.split("\n").filter((l) => l.startsWith("  - "));
    expect(lines).toEqual([
      `  - library "la": provided by more than one module: module "lib-a" (${files[3]}) version 1.0.0, module "dup-a" (${files[4]}) version 1.3.0; a library name must have exactly one provider`,
      `  - library "nothere": module "needs-missing" (${files[0]}) requires ^1.0.0, but no loaded module provides it (provided: grocketd 0.1.0, lb 1.0.0 (module "lib-b"), la 1.0.0 (module "lib-a"), la 1.3.0 (module "dup-a"), lx 1.0.0 (module "cx"), ly 1.0.0 (module "cy"))`,
      `  - library "lb": module "needs-new" (${files[1]}) requires ^2.0.0, but module "lib-b" (${files[2]}) provides version 1.0.0`,
      `  - library cycle: module "cx" (${files[5]}) requires library "ly" of module "cy" (${files[6]}), module "cy" requires library "lx" of module "cx"; none of them can be initialised first`,
    ]);
    const start = await runGrocketd(args);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain("grocketd: cannot start:");
    expect(start.stderr.split("\n").filter((l) => l.startsWith("  - "))).toEqual(lines);
    expect(start.stdout + start.stderr).not.toMatch(/listening on|init /);
  });

  test("--check reports a module that fails validation together with the library problems of the others", async () => {
    const needs = writeLibModule(dir, { name: "needs-gone", requires: { gone: "^1.0.0" } });
    const check = await runGrocketd(["--check", "--module", `${FIX}/bad-version.ts`, "--module", needs, "--listen", "tcp://127.0.0.1:0?module=needs-gone"]);
    expect(check.code).toBe(1);
    const lines = check.stderr.split("\n").filter((l) => l.startsWith("  - "));
    expect(lines).toHaveLength(2); // was only the first: the modules that loaded were dropped
    expect(lines[0]).toMatch(/bad-version\.ts: field "version"/);
    expect(lines[1]).toMatch(/library "gone": module "needs-gone" .* requires \^1\.0\.0, but no loaded module provides it/);
  });

  test("init runs in dependency order in the master and every thread; term in reverse", async () => {
    const c = writeLibModule(dir, { name: "c", requires: { lb: "^2.0.0" } });
    const b = writeLibModule(dir, { name: "b", provides: { lb: "2.0.1" }, requires: { la: "~1.2.0" } });
    const a = writeLibModule(dir, { name: "a", provides: { la: "1.2.9" } });
    const check = await runGrocketd(["--check", "-m", c, "-m", b, "-m", a, "-l", "tcp://127.0.0.1:0?module=c"]);
    expect(check.stdout).toContain("  library lb@2.0.1 from b, required by c ^2.0.0\n  library la@1.2.9 from a, required by b ~1.2.0\n  init order a, b, c\n");
    running = await startGrocketd(["-m", c, "-m", b, "-m", a, "-l", "tcp://127.0.0.1:0?module=c", "--threads", "2"]);
    expect(await ask(running.ports[0]!, "ping\n")).toBe("ping\n");
    expect(await running.stop("SIGTERM")).toBe(0);
    const seq = new Map<string, string[]>();
    for (const [, what, name, role, index] of running.output().matchAll(/(init|term) (\w) (master|thread) (\d)/g)) {
      const k = `${role} ${index}`;
      seq.set(k, [...(seq.get(k) ?? []), `${what} ${name}`]);
    }
    expect([...seq.keys()].sort()).toEqual(["master 0", "thread 0", "thread 1"]);
    for (const s of seq.values()) expect(s).toEqual(["init a", "init b", "init c", "term c", "term b", "term a"]);
  });

  test("singletons are per thread: made lazily once on each thread, released at that thread's term", async () => {
    running = await startGrocketd(
      ["-m", join(FIX, "singleton-user.ts"), "-m", join(FIX, "singleton-lib.ts"), "-l", "tcp://127.0.0.1:0", "--threads", "2"],
    );
    const hits = new Map<string, number[]>();
    for (let i = 0; i < 60 && (hits.size < 2 || [...hits.values()].some((h) => h.length < 2)); i++) {
      const [thread, id, n] = (await ask(running.ports[0]!, "?\n")).trim().split(" ");
      expect(id).toBe("1"); // the first and only Tally of its thread
      hits.set(thread!, [...(hits.get(thread!) ?? []), Number(n)]);
    }
    expect([...hits.keys()].sort()).toEqual(["0", "1"]);
    for (const h of hits.values()) expect(h).toEqual(h.map((_, k) => k + 1)); // each thread counts on its own object
    expect(await running.stop("SIGTERM")).toBe(0);
    const out = running.output();
    for (const t of ["0", "1"]) {
      const lines = out.split("\n").filter((l) => l.includes(` io-${t} `));
      const user = lines.findIndex((l) => l.includes(`term singleton-user thread ${t}`));
      const lib = lines.findIndex((l) => l.includes(`term singleton-lib thread ${t}`));
      const rel = lines.findIndex((l) => l.includes(`release Tally 1 hits ${hits.get(t)!.length}`));
      expect(user).toBeGreaterThanOrEqual(0);
      expect([user < lib, lib < rel]).toEqual([true, true]);
    }
    expect(out).not.toMatch(/master \[singleton-lib\] release/); // the master never asked for one
  });

  test("the plugin example: kv-store serves TCP and HTTP, kv-stats reads the same store; counters are logged", async () => {
    const cfg = join(dir, "kv.toml");
    writeFileSync(cfg, `[modules.kv-store]\nmax_keys = 2\n`);
    running = await startGrocketd(
      [
        "--config", cfg,
        "-m", resolve(ROOT, "modules/kv-store.ts"),
        "-m", resolve(ROOT, "modules/kv-stats.ts"),
        "-l", "tcp://127.0.0.1:0",
        "-l", "http://127.0.0.1:0?module=kv-store",
        "-l", "http://127.0.0.1:0?module=kv-stats",
        "--threads", "1",
      ],
      { expectListening: 3, env: { GROCKETD_LOG_LEVEL: "debug" } },
    );
    const [tcp, http, stats] = running.ports;
    const c = await connect(tcp!);
    c.write("set a one 1\nset b two\nset c three\nget a\nget zz\nbogus k\n");
    const want = "OK\nOK\nERROR store full\nVALUE one 1\nNOT_FOUND\nERROR unknown command (get, set, del)\n";
    expect(text(await c.waitBytes(want.length))).toBe(want);
    c.end();
    const get = await exchange(http!, "GET /kv/a HTTP/1.1\r\nHost: x\r\n\r\nPUT /kv/b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nTWO\r\nGET /kv/b HTTP/1.1\r\nHost: x\r\n\r\n", 3);
    expect(get.responses.map((r) => [r.status, r.text])).toEqual([[200, "one 1"], [204, ""], [200, "TWO"]]);
    get.c.end();
    const s = await exchange(stats!, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(JSON.parse(s.responses[0]!.text)).toEqual({ keys: 2, thread: 0, kv: "1.0.0" });
    s.c.end();
    expect(await running.stop("SIGTERM")).toBe(0);
    expect(running.output()).toMatch(/debug io-0 counters kv-store.gets=\d+ kv-store.sets=\d+ kv-store.misses=1 kv-stats.requests=1/);
  });
});
