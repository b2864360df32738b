// Configuration: every error names the key, the bad value and where it came from; precedence
// defaults < module config() < file < environment < flags; all problems are reported at once.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CliOptions } from "../../src/cli/args.ts";
import { parseCli } from "../../src/cli/args.ts";
import { isGrocketdError } from "../../src/errors.ts";
import { buildStartPlan, BUNDLED_MODULE } from "../../src/master/start-plan.ts";
import { parseListenUrl } from "../../src/config/listen-url.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIX = resolve(import.meta.dir, "../fixtures/modules");

function cli(over: Partial<CliOptions> = {}): CliOptions {
  return { modules: [], listen: [], check: false, help: false, version: false, ...over };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function problems(c: CliOptions, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await buildStartPlan(c, env, dir);
  } catch (err) {
    if (isGrocketdError(err)) return [...err.problems];
    throw err;
  }
  throw new Error("expected the plan to be refused");
}

describe("configuration", () => {
  test("defaults: the bundled echo module on tcp://0.0.0.0:8000 and http://0.0.0.0:8080, one thread per core", async () => {
    const plan = await buildStartPlan(cli(), {}, dir);
    expect(plan.modules.map((m) => m.file)).toEqual([BUNDLED_MODULE]);
    expect(plan.bindings.map((b) => `${b.entry.url}>${b.module}`)).toEqual(["tcp://0.0.0.0:8000>echo", "http://0.0.0.0:8080>echo"]);
    expect(plan.config.io.threads).toBe(0);
    expect(plan.threads).toBeGreaterThanOrEqual(1);
  });

  test("precedence: defaults < module config() < file < environment < flags", async () => {
    const cfg = file("prec.toml", `[io]\nidle_timeout_ms = 2000\nmax_packet = 8192\nthreads = 3\n`);
    const plan = await buildStartPlan(
      cli({ config: cfg, modules: [join(FIX, "with-config.ts")], threads: "5" }),
      { GROCKETD_IO_MAX_PACKET: "16384", GROCKETD_IO_THREADS: "4" },
      dir,
    );
    expect(plan.config.log.level).toBe("warn"); // module config() over the default
    expect(plan.config.io.idle_timeout_ms).toBe(2000); // file over module
    expect(plan.config.io.max_packet).toBe(16384); // environment over file
    expect(plan.config.io.threads).toBe(5); // flag over environment
    expect(plan.config.io.high_water).toBe(1024 * 1024); // untouched default
  });

  test("an unknown key names the file, the line and the known keys", async () => {
    const cfg = file("typo.toml", `# comment\n[io]\nthreads = 1\nthread_count = 4\n`);
    const p = await problems(cli({ config: cfg }));
    expect(p).toHaveLength(1);
    expect(p[0]).toContain(`${cfg} line 4: io.thread_count: unknown key`);
    expect(p[0]).toContain("threads, max_packet, high_water, idle_timeout_ms");
  });

  test("an unknown section is reported with the list of sections", async () => {
    const p = await problems(cli({ config: file("sec.toml", `[iox]\nthreads = 1\n`) }));
    expect(p[0]).toMatch(/line 1: iox: unknown key; known sections: \[server\], \[io\], \[worker\], \[http\], \[log\]/);
  });

  test("a bad value names the key, the value, the file and line, and what was expected", async () => {
    const cfg = file("bad.toml", `[server]\nlisten = ["tcp://0.0.0.0:8000", "ftp://x:1"]\n[io]\nthreads = -2\n[log]\nlevel = "loud"\n`);
    const p = await problems(cli({ config: cfg }));
    expect(p).toHaveLength(3); // all of them at once
    expect(p.find((x) => x.includes("server.listen[1]"))).toContain(`${cfg} line 2: server.listen[1] = "ftp://x:1": unsupported scheme "ftp:"`);
    expect(p.find((x) => x.includes("io.threads"))).toMatch(new RegExp(`line 4: io.threads = -2: .*>=0`));
    expect(p.find((x) => x.includes("log.level"))).toMatch(/line 6: log.level = "loud": .*"debug"\|"info"/);
  });

  test("a TOML syntax error gives the file and the line", async () => {
    const cfg = file("syntax.toml", `[io]\nthreads = 2\nmax_packet = = 3\n[log]\nlevel = "info"\n`);
    const p = await problems(cli({ config: cfg }));
    expect(p[0]).toContain(`${cfg} line 3: not valid TOML`);
  });

  test("a missing config file is reported", async () => {
    const p = await problems(cli({ config: join(dir, "nope.toml") }));
    expect(p[0]).toMatch(/cannot read config file .*nope\.toml/);
  });

  test("environment errors name the variable; unknown GROCKETD_ variables are refused", async () => {
    const p = await problems(cli(), { GROCKETD_IO_THREADS: "many", GROCKETD_IO_THREAD: "2" });
    expect(p).toContain(`environment GROCKETD_IO_THREADS: io.threads = "many": Invalid input: expected number, received string`);
    expect(p.find((x) => x.includes("GROCKETD_IO_THREAD:"))).toMatch(/not a grocketd setting/);
  });

  test("GROCKETD_BUN (bin/grocketd's choice of Bun) and GROCKETD_STARTUP_TRACE are not config keys: they do not stop the start", async () => {
    const p = await problems(cli({ threads: "two" }), { GROCKETD_BUN: "/usr/local/bin/bun", GROCKETD_STARTUP_TRACE: "1" });
    expect(p.length).toBeGreaterThan(0); // refused for the flag only
    expect(p.filter((x) => x.includes("GROCKETD_"))).toEqual([]);
  });

  test("flag errors name the flag", async () => {
    const p = await problems(cli({ threads: "two", listen: ["tcp://127.0.0.1"] }));
    expect(p.find((x) => x.startsWith("flag --threads"))).toContain(`io.threads = "two"`);
    expect(p.find((x) => x.startsWith("flag --listen"))).toContain(`server.listen[0] = "tcp://127.0.0.1": missing port`);
  });

  test("module paths in a config file are relative to the file", async () => {
    const sub = join(dir, "sub");
    require("node:fs").mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, "m.ts"), `import { defineModule } from ${JSON.stringify(resolve("src/index.ts"))};\nexport default defineModule({ name: "rel", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p });\n`);
    const cfg = file("sub/rel.toml", `[server]\nmodules = ["m.ts"]\nlisten = ["tcp://127.0.0.1:0"]\n`);
    const plan = await buildStartPlan(cli({ config: cfg }), {}, "/");
    expect(plan.modules[0]!.def.name).toBe("rel");
  });

  test("a listen entry with several candidate modules must name one; an unknown module name is refused", async () => {
    const mods = [join(FIX, "thread-id.ts"), join(FIX, "slow-echo.ts")];
    let p = await problems(cli({ modules: mods, listen: ["tcp://127.0.0.1:0"] }));
    expect(p[0]).toContain("several modules can serve it (thread-id, slow-echo); add ?module=<name>");
    p = await problems(cli({ modules: mods, listen: ["tcp://127.0.0.1:0?module=nope"] }));
    expect(p[0]).toContain(`no loaded module is named "nope"`);
    const plan = await buildStartPlan(cli({ modules: mods, listen: ["tcp://127.0.0.1:0?module=slow-echo"] }), {}, dir);
    expect(plan.bindings[0]!.module).toBe("slow-echo");
  });

  test("parseCli rejects unknown flags with their name", () => {
    expect(() => parseCli(["--thread", "2"])).toThrow(/--thread/);
    expect(parseCli(["-m", "a.ts", "--module", "b.ts", "-l", "tcp://h:1", "-t", "2", "--check"])).toMatchObject({
      modules: ["a.ts", "b.ts"],
      listen: ["tcp://h:1"],
      threads: "2",
      check: true,
    });
  });

  test("pool mode: a ring too small for the largest packet or request is refused, naming the keys and values", async () => {
    const pool = { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_RING_BYTES: "65536" };
    const both = cli({ listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0"] });
    const got = await problems(both, pool);
    expect(got).toEqual([
      "worker.ring_bytes = 65536: a ring record carries at most 65512 bytes, but io.max_packet = 1048576 needs 1048576; raise worker.ring_bytes to at least 2097152 or lower the limit",
      "worker.ring_bytes = 65536: a ring record carries at most 65512 bytes, but a whole HTTP request (http.max_head_bytes = 16384 + http.max_body_bytes = 1048576) needs 1065024; raise worker.ring_bytes to at least 2097152 or lower the limit",
    ]);
    // Fitting limits pass; inline mode does not care.
    await buildStartPlan(cli({ listen: ["tcp://127.0.0.1:0"] }), { ...pool, GROCKETD_IO_MAX_PACKET: "65512" }, dir);
    await buildStartPlan(both, { GROCKETD_WORKER_RING_BYTES: "65536" }, dir);
  });

  test("listen URLs: IPv6, module option, bad ports", () => {
    expect(parseListenUrl("tcp://[::1]:9000?module=echo")).toMatchObject({ hostname: "::1", port: 9000, module: "echo", url: "tcp://[::1]:9000?module=echo" });
    expect(parseListenUrl("http://127.0.0.1:80")).toMatchObject({ protocol: "http", port: 80 });
    expect(parseListenUrl("tcp://h:70000")).toMatch(/out of range/);
    expect(parseListenUrl("tcp://h:1/path")).toMatch(/unexpected path/);
    expect(parseListenUrl("tcp://h:1?mod=x")).toMatch(/unknown option "mod"/);
  });

  test("listen URLs: ?binary=/path opts an HTTP listener in to binary over HTTP; absent = http.binary_path decides", () => {
    expect(parseListenUrl("http://h:1?module=echo&binary=/bin")).toMatchObject({ module: "echo", binary: "/bin", url: "http://h:1?module=echo&binary=/bin" });
    expect(parseListenUrl("https://h:1?binary=")).toMatchObject({ binary: "" });
    expect(parseListenUrl("http://h:1")).toMatchObject({ binary: undefined });
    expect(parseListenUrl("http://h:1?binary=bin")).toMatch(/must be absolute/);
    // Only HTTP carries it: a packet listener has no paths.
    expect(parseListenUrl("tcp://h:1?binary=/b")).toMatch(/unknown option "binary"/);
    expect(parseListenUrl("tls://h:1?binary=/b")).toMatch(/unknown option "binary"/);
  });
});

describe("docs/config.md", () => {
  test("documents every key with its default (regenerate with `bun src/config/config-docs.ts`)", async () => {
    const { renderConfigDocs, CONFIG_DOCS_PATH } = await import("../../src/config/config-docs.ts");
    expect(await Bun.file(CONFIG_DOCS_PATH).text()).toBe(renderConfigDocs());
  });
});
