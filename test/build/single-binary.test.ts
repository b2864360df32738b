// `bun run build`: the single executable, smoke-tested as CI runs it. It is built into a temp dir (about 100 MB,
// deleted afterwards), started from another directory with no module named — so the embedded demo module, the
// embedded llhttp WASM and the Worker entries inside the binary must all be found — and must echo kiss packets over
// TCP and binary over HTTP, then exit 0 on SIGTERM; then again as two child processes with a handler pool. A static check keeps the build's entry list in step with the
// files the runtime starts by path.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildBinary, ENTRYPOINTS, REPO_ROOT } from "../../src/build/build-binary.ts";
import { DIST_ENTRYPOINTS } from "../../src/build/build-dist.ts";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import { kisses } from "../helpers/kiss.ts";
import { connect } from "../helpers/tcp-client.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-binary-"));
const binary = join(dir, "grocketd");
let running: Running | undefined;
afterAll(async () => {
  await running?.stop("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function sourceFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(d, e.name)) : e.name.endsWith(".ts") ? [join(d, e.name)] : [],
  );
}

describe("single binary", () => {
  test("every file the runtime starts by path (entryUrl/entryPath) is a build entry point", () => {
    // A path taken only in the pre-bundled runtime (a file that branches on BUNDLED, e.g. config/zod-load.ts, which
    // statically requires the same file from source and in the binary) must be an entry of that build instead.
    const used = new Set<string>();
    const bundleOnly = new Set<string>();
    for (const f of sourceFiles(join(REPO_ROOT, "src"))) {
      const text = readFileSync(f, "utf8");
      for (const m of text.matchAll(/\bentry(?:Url|Path)\("([^"]+)"\)/g)) {
        if (!ENTRYPOINTS.includes(m[1]!) && /\bBUNDLED\b/.test(text) && !/\bCOMPILED\b/.test(text)) bundleOnly.add(m[1]!);
        else used.add(m[1]!);
      }
    }
    expect(used.size).toBeGreaterThan(0);
    for (const u of used) expect(ENTRYPOINTS).toContain(u);
    for (const u of bundleOnly) expect(DIST_ENTRYPOINTS).toContain(u);
    // ...and nothing still builds a Worker URL relative to import.meta.url, which points into the bundle when compiled.
    // (A child process entry is fine: childProcessCommand uses its path only when running from source.)
    const stale = sourceFiles(join(REPO_ROOT, "src"))
      .filter((f) => {
        const code = readFileSync(f, "utf8").split("\n").filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l)).join("\n");
        return /new URL\("\.{1,2}\/[^"]+\.ts", import\.meta\.url\)/.test(code) && !code.includes("childProcessCommand(");
      })
      .map((f) => relative(REPO_ROOT, f));
    expect(stale).toEqual([]);
  });

  test("builds, serves kiss over TCP and binary over HTTP with the embedded echo module, exits 0 on SIGTERM", async () => {
    const built = await buildBinary(binary);
    expect(built.output).not.toContain("error");
    expect(built.code).toBe(0);
    console.log(`built ${(statSync(binary).size / 1e6).toFixed(0)} MB in ${Math.round(built.ms)} ms`);
    const check = Bun.spawnSync([binary, "--check", "--listen", "tcp://127.0.0.1:0"], { cwd: dir, env: { PATH: process.env.PATH ?? "" } });
    expect(check.exitCode).toBe(0);
    expect(check.stdout.toString()).toContain("module echo@1.0.0 (/$bunfs/root/modules/echo.js)"); // embedded, not read from disk

    running = await startGrocketd(["--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0", "--threads", "1"], {
      command: [binary],
      cwd: dir, // no grocketd.toml, no modules/, no node_modules here
      expectListening: 2,
    });
    const [tcpPort, httpPort] = running.ports;
    expect(running.output()).toContain("modules=echo@1.0.0");

    const c = await connect(tcpPort!);
    const sent = kisses(1, 50);
    c.write(sent);
    expect(Buffer.from((await c.waitBytes(sent.length)).subarray(0, sent.length)).equals(Buffer.from(sent))).toBe(true);
    c.end();

    const body = kisses(100, 3);
    const res = await fetch(`http://127.0.0.1:${httpPort}/binary`, { method: "POST", body });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(body))).toBe(true);
    // The embedded echo's GET / page is a staticResponse made by the module's copy of the API: it must be the same
    // class the HTTP layer checks with instanceof (the build's --splitting keeps one copy per thread).
    const home = await fetch(`http://127.0.0.1:${httpPort}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("echo module (modules/echo.ts)");

    expect(await running.stop("SIGTERM")).toBe(0);
    running = undefined;

    // The other entries inside the binary: child processes (it starts itself) and handler threads of the pool.
    running = await startGrocketd(["--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      command: [binary],
      cwd: dir,
      env: { GROCKETD_SERVER_PROCESSES: "2", GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" },
    });
    expect(running.output()).toMatch(/listening on tcp:\/\/127\.0\.0\.1:\d+ module=echo threads=1 processes=2/);
    for (let i = 0; i < 4; i++) {
      const p = await connect(running.ports[0]!);
      const k = kisses(1 + i * 10, 10);
      p.write(k);
      expect(Buffer.from(await p.waitBytes(k.length)).equals(Buffer.from(k))).toBe(true);
      p.end();
    }
    expect(await running.stop("SIGTERM")).toBe(0);
    running = undefined;

    // A module on disk that imports "grocketd", in a directory with no node_modules: it gets the embedded runtime,
    // in the master, the I/O threads, the handler threads of the pool and the child processes alike.
    const work = join(dir, "work");
    mkdirSync(work);
    writeFileSync(join(work, "disk.ts"), DISK_MODULE);
    const diskCheck = Bun.spawnSync([binary, "--check", "--module", "disk.ts", "--listen", "tcp://127.0.0.1:0"], { cwd: work, env: { PATH: process.env.PATH ?? "" } });
    expect(diskCheck.stderr.toString()).toBe("");
    expect(diskCheck.stdout.toString()).toContain(`module disk@1.0.0 (${join(work, "disk.ts")})`);
    running = await startGrocketd(["--module", "disk.ts", "--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0", "--threads", "1"], {
      command: [binary],
      cwd: work,
      expectListening: 2,
      env: { GROCKETD_SERVER_PROCESSES: "2", GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" },
    });
    const [diskTcp, diskHttp] = running.ports;
    for (let i = 0; i < 4; i++) {
      const d = await connect(diskTcp!);
      d.write("abcd");
      expect(Buffer.from(await d.waitBytes(4)).toString()).toBe("dcba");
      d.end();
    }
    const page = await fetch(`http://127.0.0.1:${diskHttp}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("disk module, grocketd 0.1.0, limit 4\n");
    expect(await running.stop("SIGTERM")).toBe(0);
    running = undefined;
  }, 180_000);
});

/** Uses values (defineModule, staticResponse, z, VERSION), not only types, so each must come from the binary. */
const DISK_MODULE = `import { defineModule, staticResponse, VERSION, z } from "grocketd";
let limit = 0;
export default defineModule({
  name: "disk", version: "1.0.0", grocketd: "^0.1.0",
  configSchema: z.object({ limit: z.number().int().default(4) }),
  init(ctx) { limit = ctx.moduleConfig.limit; },
  check: (_buf, start, end) => (end - start >= 4 ? 4 : 0),
  proc: (packet) => new Uint8Array(packet).reverse(),
  http: () => staticResponse(\`disk module, grocketd \${VERSION}, limit \${limit}\\n\`),
});
`;
