// The package as a user gets it: `npm pack` this repository, install the tarball into a fresh project in a temp dir
// (npm fetches zod, llhttp-wasm and bun from the registry, or from npm's cache), write a module there that imports
// "grocketd", type-check it with that project's own strict tsconfig (strict, exactOptionalPropertyTypes,
// noUncheckedIndexedAccess, without allowImportingTsExtensions), and run it with `npx grocketd --module ...`:
// it must answer on TCP and on HTTP, and stop with exit 0 on SIGTERM. A module with a type error must fail the
// same check, so the check is known to see grocketd's types.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect } from "../helpers/tcp-client.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-pack-"));
const app = join(dir, "app");
const pidFile = join(dir, "grocketd.pid");
/** npx runs the bin under `sh -c`; in a session of its own the whole chain can be cleaned up by one group kill. */
const SETSID = ["/usr/bin/setsid", "/bin/setsid"].find((p) => existsSync(p));
let running: Running | undefined;
let serverPid = 0;
afterAll(async () => {
  // A failed test: the server by its PID (npx runs it under `sh -c`, so killing npx would leave it running).
  if (running && !(serverPid > 0) && existsSync(pidFile)) serverPid = Number(readFileSync(pidFile, "utf8").trim());
  if (running && Number.isInteger(serverPid) && serverPid > 0) process.kill(serverPid, "SIGKILL");
  if (running && SETSID) {
    try {
      process.kill(-running.pid, "SIGKILL"); // the session setsid made: npx, its sh and anything left under it
    } catch {}
  }
  await running?.stop("SIGKILL");
  // The temp project holds a Bun binary and node_modules: removing it took over 12 s on a loaded machine.
  await rm(dir, { recursive: true, force: true });
}, 60_000);

async function run(cmd: string[], cwd: string, timeoutMs: number): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" } });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out: out + err };
}

const TSCONFIG = {
  compilerOptions: {
    target: "ESNext", module: "ESNext", moduleResolution: "bundler", lib: ["ESNext"], types: ["bun-types"],
    strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, noImplicitOverride: true,
    verbatimModuleSyntax: true, noEmit: true, skipLibCheck: true, // as `bun init` writes it; see below
  },
  include: ["*.ts"],
};

const MODULE = `import { defineModule, staticResponse, z, type Conn } from "grocketd";

const home = staticResponse("app home\\n");
type State = { lines: number };
const count = (conn: Conn<State>): number => ++conn.state.lines;

export default defineModule({
  name: "app",
  version: "1.0.0",
  grocketd: "^0.1.0",
  configSchema: z.object({ prefix: z.string().default("line") }),
  accept: (): State => ({ lines: 0 }),
  // one packet per line
  check(buf, start, end) {
    const nl = buf.indexOf(10, start);
    return nl >= 0 && nl < end ? nl - start + 1 : 0;
  },
  proc: (packet, conn) => \`\${count(conn)}: \${new TextDecoder().decode(packet)}\`,
  http: (req) => (req.path === "/" ? home : \`path \${req.path} q=\${req.query.get("q") ?? "-"}\`),
});
`;

describe("npm package", () => {
  test("npm pack → install into a fresh project → strict tsc → npx grocketd answers TCP and HTTP", async () => {
    const pack = await run(["npm", "pack", "--pack-destination", dir], ROOT, 120_000);
    expect(pack.code, pack.out).toBe(0);
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBeDefined();

    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "user-app", version: "1.0.0", private: true, type: "module" }));
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    const install = await run(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, tarball!), "bun-types@1.4.4"], app, 240_000);
    expect(install.code, install.out).toBe(0);
    expect(existsSync(join(app, "node_modules/grocketd/types/index.d.ts"))).toBe(true); // made by prepack
    expect(existsSync(join(app, "node_modules/grocketd/test"))).toBe(false); // the "files" list keeps tests out

    // One tsc run over two modules (a run costs seconds of CPU): app.ts must be clean, and bad.ts — a proc answering
    // a number — must be an error, so the check is known to see grocketd's types (not `any`). skipLibCheck is on, as
    // in most projects: the declarations themselves are built from sources compiled under these same options
    // (src/build/build-types.ts), and tsc with skipLibCheck off reports nothing in them either (measured once by hand).
    writeFileSync(join(app, "app.ts"), MODULE);
    writeFileSync(join(app, "bad.ts"), MODULE.replace("proc: (packet, conn) =>", "proc: (packet, conn) => 42 ||"));
    const tsc = await run([join(ROOT, "node_modules/.bin/tsc"), "-p", "."], app, 120_000);
    rmSync(join(app, "bad.ts"));
    const errors = tsc.out.split("\n").filter((l) => l.includes("error TS"));
    expect(tsc.code).not.toBe(0);
    expect(errors.length, tsc.out).toBeGreaterThan(0);
    expect(errors.filter((l) => !l.startsWith("bad.ts(")), tsc.out).toEqual([]);

    running = await startGrocketd(
      ["--module", "app.ts", "--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0", "--threads", "1"],
      { command: [...(SETSID ? [SETSID] : []), "npx", "--no-install", "grocketd"], cwd: app, expectListening: 2, env: { GROCKETD_SERVER_PID_FILE: pidFile } },
    );
    // bin/grocketd execs Bun, so the PID in the file is the server itself (npx does not pass SIGTERM on: it would
    // exit 143 and leave the server running, hence the signal goes to the server and npx exits with its code).
    // The master writes it just after it logs "listening on".
    const pidIn = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : 0);
    for (let i = 0; i < 200 && !(pidIn() > 0); i++) await Bun.sleep(50);
    serverPid = pidIn();
    expect(Number.isInteger(serverPid) && serverPid > 0).toBe(true);
    expect(serverPid).not.toBe(running.pid);
    const [tcpPort, httpPort] = running.ports;
    const c = await connect(tcpPort!);
    c.write("one\ntwo\n");
    expect(Buffer.from(await c.waitBytes(14)).toString()).toBe("1: one\n2: two\n");
    c.end();
    const home = await fetch(`http://127.0.0.1:${httpPort}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toBe("app home\n");
    expect(await (await fetch(`http://127.0.0.1:${httpPort}/x?q=1`)).text()).toBe("path /x q=1");
    process.kill(serverPid, "SIGTERM");
    expect(await running.proc.exited).toBe(0);
    running = undefined;
  }, 300_000);
});
