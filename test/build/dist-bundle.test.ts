// The pre-bundled runtime (src/build/build-dist.ts → dist/bundle/, started by src/launch.ts): built into a copy of
// the package in a temp dir, it is what runs — master, I/O threads, a child process of server.processes = 2 — and
// serves a module that imports "grocketd" (its staticResponse must be the bundle's own class, or the HTTP layer
// would refuse it); once any bundled source changes, or the manifest names another version, the sources run
// instead. Which one ran is read from src/launch.ts's GROCKETD_STARTUP_TRACE mark.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDist } from "../../src/build/build-dist.ts";
import { DIST_DIR, MANIFEST_NAME, staleReason } from "../../src/build/dist-manifest.ts";
import { ROOT, startGrocketd } from "../helpers/grocketd.ts";
import { connect } from "../helpers/tcp-client.ts";

const pkg = mkdtempSync(join(tmpdir(), "grocketd-dist-"));
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

beforeAll(async () => {
  for (const d of ["src", "modules", "package.json"]) cpSync(join(ROOT, d), join(pkg, d), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
  const r = await buildDist(pkg);
  if (!r.ok) throw new Error(r.output);
}, 120_000);
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

/** Starts src/launch.ts of the temp package; resolves with what it ran from and the running server. */
async function launch(args: string[]) {
  const running = await startGrocketd(args, {
    command: [process.execPath, join(pkg, "src/launch.ts")],
    cwd: pkg,
    env: { GROCKETD_STARTUP_TRACE: "1" },
    expectListening: args.filter((a) => a === "--listen").length,
  });
  const from = /grocketd-startup launch (bundle|sources) /.exec(running.output())?.[1];
  return { running, from };
}

async function get(port: number, path = "/"): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

describe("pre-bundled runtime (dist/bundle)", () => {
  test("a fresh bundle matches its sources", () => {
    expect(staleReason(pkg, VERSION)).toBeNull();
    expect(staleReason(pkg, "9.9.9")).toContain("built for grocketd");
    expect(staleReason(join(pkg, "modules"), VERSION)).toContain(`no ${DIST_DIR}/${MANIFEST_NAME}`);
  });

  test("launch runs the bundle: 2 I/O threads serve a module importing staticResponse from \"grocketd\"", async () => {
    const { running, from } = await launch(["--module", "modules/hello.ts", "--listen", "http://127.0.0.1:0", "--threads", "2"]);
    try {
      expect(from).toBe("bundle");
      // "grocketd" for the module came from the bundle in the master and in both I/O threads (entry-path.ts
      // provideSelfModule marks it only when it runs from the bundle).
      expect(running.output().match(/grocketd-startup self-module bundle /g)?.length).toBe(3);
      const r = await get(running.ports[0]!);
      expect(r).toEqual({ status: 200, body: "Hello, World!" });
    } finally {
      expect(await running.stop()).toBe(0);
    }
  }, 60_000);

  test("the bundle starts child processes (server.processes = 2) that serve TCP", async () => {
    const multi = await startGrocketd(["--module", "modules/echo.ts", "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      command: [process.execPath, join(pkg, "src/launch.ts")],
      cwd: pkg,
      env: { GROCKETD_STARTUP_TRACE: "1", GROCKETD_SERVER_PROCESSES: "2" },
    });
    try {
      expect(multi.output()).toContain("grocketd-startup launch bundle ");
      const c = await connect(multi.ports[0]!);
      const packet = "x".repeat(44);
      c.write(packet);
      expect(Buffer.from(await c.waitBytes(44)).toString()).toBe(packet);
      c.end();
    } finally {
      expect(await multi.stop()).toBe(0);
    }
  }, 60_000);

  test("GROCKETD_NO_BUNDLE=1 runs the sources", async () => {
    const running = await startGrocketd(["--module", "modules/hello.ts", "--listen", "http://127.0.0.1:0", "--threads", "1"], {
      command: [process.execPath, join(pkg, "src/launch.ts")],
      cwd: pkg,
      env: { GROCKETD_STARTUP_TRACE: "1", GROCKETD_NO_BUNDLE: "1" },
    });
    try {
      expect(running.output()).toContain("grocketd-startup launch sources ");
      expect(await get(running.ports[0]!)).toEqual({ status: 200, body: "Hello, World!" });
    } finally {
      expect(await running.stop()).toBe(0);
    }
  }, 60_000);

  test("unchanged file stats stand for the contents (nothing is read); one changed stat brings back the content hash", () => {
    const manifestPath = join(pkg, DIST_DIR, MANIFEST_NAME);
    const text = readFileSync(manifestPath, "utf8");
    const m = JSON.parse(text) as { files: string[]; stats: string[] };
    expect(m.stats).toHaveLength(m.files.length);
    // While every file's size, mtime, ctime and inode are those of the build, the hash is not even compared...
    writeFileSync(manifestPath, JSON.stringify({ ...m, hash: "0".repeat(64) }));
    expect(staleReason(pkg, VERSION)).toBeNull();
    // ...once one file is touched (same content), it is, and this wrong one no longer matches.
    const touched = join(pkg, m.files[0]!);
    const now = new Date();
    utimesSync(touched, now, now);
    expect(staleReason(pkg, VERSION)).toBe("the sources changed since it was built");
    // With the right hash the same touched file is fine: its content is what was built.
    writeFileSync(manifestPath, text);
    expect(staleReason(pkg, VERSION)).toBeNull();
  });

  // Last: it edits the copy's sources.
  test("a source changed after the build: the bundle is stale and the changed sources run", async () => {
    const file = join(pkg, "src/grocketd.ts");
    const before = readFileSync(file, "utf8");
    expect(before).toContain("`grocketd ${VERSION} (module API");
    writeFileSync(file, before.replace("`grocketd ${VERSION} (module API", "`grocketd-edited ${VERSION} (module API"));
    expect(staleReason(pkg, VERSION)).toBe("the sources changed since it was built");
    const edited = await version();
    expect(edited.stdout).toStartWith("grocketd-edited ");
    expect(edited.stderr).toContain("running from the sources (the sources changed since it was built)");
    expect(edited.stderr).toContain("grocketd-startup launch sources ");
    writeFileSync(file, before);
    const restored = await version();
    expect(restored.stdout).toStartWith(`grocketd ${VERSION} `);
    expect(restored.stderr).toContain("grocketd-startup launch bundle ");
    // A file the bundle was built from that is gone is a change too; so is package.json.
    rmSync(file);
    expect(staleReason(pkg, VERSION)).toBe("the sources changed since it was built");
    writeFileSync(file, before);
    expect(staleReason(pkg, VERSION)).toBeNull();
    appendFileSync(join(pkg, "package.json"), "\n");
    expect(staleReason(pkg, VERSION)).toBe("the sources changed since it was built");
  }, 60_000);
});

/** `launch.ts --version` of the temp package, traced. */
async function version(): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("GROCKETD_")) env[k] = v;
  const proc = Bun.spawn([process.execPath, join(pkg, "src/launch.ts"), "--version"], { cwd: pkg, env: { ...env, GROCKETD_STARTUP_TRACE: "1" }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
