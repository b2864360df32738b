// The servers of `bun run bench:http` — grocketd with the http hook (hello module, 1 I/O thread), grocketd with the
// fetch hook (bench/modules/fetch-hello.ts, same body), Bun.serve, a bare Bun.listen responder (the floor of any
// Bun.listen server: bench/servers/bare-http-responder.ts), nginx and the uWebSockets anchor (`uws-hello PORT`,
// when its binary is present) — as specs that start one fresh instance and stop it again by PID.

import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { type ChildServer, startServer } from "./child-server.ts";
import type { TlsSetup } from "./http-tls.ts";
import { BUN_SERVE_VARIANT } from "../servers/bun-serve-hello.ts";
import { NGINX_MISSING, findNginx, freePort, nginxVersion, startNginx } from "../servers/nginx-hello.ts";

export const SERVER_NAMES = ["grocketd", "grocketd-fetch", "bun", "bare-bun", "nginx", "uws"] as const;
/** The names --only takes; "grocketd-base" is added by --baseline DIR (bench/lib/grocketd-dir.ts). */
export type ServerName = (typeof SERVER_NAMES)[number] | "grocketd-base";

export const DEFAULT_GROCKETD_CMD = "{bun} src/grocketd.ts --module modules/hello.ts --listen http://127.0.0.1:{port} --threads 1";
/** The fetch-hook column: the same command with the fetch-hook module (not changed by --grocketd-cmd). */
export const GROCKETD_FETCH_CMD = "{bun} src/grocketd.ts --module bench/modules/fetch-hello.ts --listen http://127.0.0.1:{port} --threads 1";
const BUN_SERVE_SCRIPT = resolve(import.meta.dir, "../servers/bun-serve-hello.ts");
/** The floor of a Bun.listen HTTP server: no parsing, a canned answer per "\r\n\r\n" (bench/servers/bare-http-responder.ts). */
const BARE_BUN_SCRIPT = resolve(import.meta.dir, "../servers/bare-http-responder.ts");

export interface Running {
  server: ChildServer;
  stop(): Promise<void>;
}

export interface HttpServerSpec {
  name: ServerName;
  /** What exactly runs, for the report. */
  describe: string;
  /** false for a server that answers without a Content-Type (the uWebSockets anchor); the check then accepts none. */
  sendsContentType?: boolean;
  start(): Promise<Running>;
}

/** Where the uWebSockets anchor is looked for by default: `<repo>/../shared/anchors/uws-hello`. */
export function defaultUwsPath(repo: string): string {
  return resolve(repo, "../shared/anchors/uws-hello");
}

/** The anchor binary if it is an executable file, else null. */
export function findUws(path: string): string | null {
  try {
    return existsSync(path) && statSync(path).isFile() && (statSync(path).mode & 0o111) !== 0 ? path : null;
  } catch {
    return null;
  }
}

/** uws-hello takes the port to bind (it prints it back; 0 would print "listening 0"), so a free one is picked. */
function uwsSpec(bin: string, prefix: string[]): HttpServerSpec {
  return {
    name: "uws",
    describe: `uWebSockets anchor (${bin}), 1 thread, no Content-Type in its answer`,
    sendsContentType: false,
    start: async () => {
      const port = freePort();
      const server = await startServer("uws", [...prefix, bin, String(port)]);
      return { server, stop: async () => void (await server.stop(3000)) };
    },
  };
}

export interface ServerSetup {
  specs: HttpServerSpec[];
  /** Lines for the report: servers left out and why. */
  notes: string[];
}

/** Splits a command template on spaces; `{bun}` becomes this Bun, `{port}` becomes 0 (the server picks one). */
export function expandCommand(template: string, bun = process.execPath): string[] {
  return template
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w.replaceAll("{bun}", bun).replaceAll("{port}", "0"));
}

function childSpec(name: ServerName, describe: string, cmd: string[], cwd: string, env?: Record<string, string | undefined>): HttpServerSpec {
  return {
    name,
    describe,
    start: async () => {
      const server = await startServer(name, cmd, { cwd, env });
      return {
        server,
        stop: async () => {
          await server.stop(3000);
        },
      };
    },
  };
}

export interface SetupOptions {
  only: readonly ServerName[];
  repo: string;
  grocketdCmd?: string;
  /** The checkout grocketd (and grocketd-fetch) run from (--grocketd-dir); default `repo`. */
  grocketdDir?: string;
  /** Another checkout to run as "grocketd-base" beside grocketd (--baseline). */
  baseDir?: string;
  nginxBin?: string;
  /** The uWebSockets anchor binary (--uws); default `defaultUwsPath(repo)`. */
  uwsBin?: string;
  /** Prefix for every server command, e.g. ["taskset", "-c", "1"]. */
  prefix?: string[];
  /** --tls: every server serves https with this certificate (grocketd: https:// and GROCKETD_TLS_*); uws is left out. */
  tls?: TlsSetup;
}

/** A grocketd command over TLS: its http:// listener becomes https://. */
function overTls(cmd: string[], tls: TlsSetup | undefined): string[] {
  return tls ? cmd.map((w) => w.replace(/^http:\/\//, "https://").replace(/^--listen=http:\/\//, "--listen=https://")) : cmd;
}

/** The specs for the servers asked for; nginx is left out with a note when it is not installed. */
export function setupServers(o: SetupOptions): ServerSetup {
  const prefix = o.prefix ?? [];
  const specs: HttpServerSpec[] = [];
  const notes: string[] = [];
  const tls = o.tls;
  const tlsEnv = tls ? { ...process.env, GROCKETD_TLS_CERT: tls.cert, GROCKETD_TLS_KEY: tls.key } : undefined;
  for (const name of o.only) {
    if (name === "grocketd") {
      const cmd = overTls([...prefix, ...expandCommand(o.grocketdCmd ?? DEFAULT_GROCKETD_CMD)], tls);
      const dir = o.grocketdDir ?? o.repo;
      specs.push(childSpec("grocketd", `${cmd.join(" ")}${dir === o.repo ? "" : ` (in ${dir})`}`, cmd, dir, tlsEnv));
      if (o.baseDir) specs.push(childSpec("grocketd-base", `${cmd.join(" ")} (in ${o.baseDir})`, cmd, o.baseDir, tlsEnv));
    } else if (name === "grocketd-fetch") {
      // The fetch module is the bench's own (this checkout's file), run by the grocketd of the checkout measured.
      const cmd = overTls([...prefix, ...expandCommand(GROCKETD_FETCH_CMD.replace("bench/modules/", `${o.repo}/bench/modules/`))], tls);
      specs.push(childSpec("grocketd-fetch", cmd.join(" "), cmd, o.grocketdDir ?? o.repo, tlsEnv));
    } else if (name === "bun") {
      const cmd = [...prefix, process.execPath, BUN_SERVE_SCRIPT, "--port", "0", ...(tls ? ["--tls-cert", tls.cert, "--tls-key", tls.key] : [])];
      specs.push(childSpec("bun", `${BUN_SERVE_VARIANT}${tls ? ", tls: { cert, key }" : ""} (Bun ${Bun.version})`, cmd, o.repo));
    } else if (name === "bare-bun") {
      const cmd = [...prefix, process.execPath, BARE_BUN_SCRIPT, "--port", "0", ...(tls ? ["--tls-cert", tls.cert, "--tls-key", tls.key] : [])];
      specs.push(childSpec("bare-bun", `bare Bun.listen responder, no parsing: a canned answer per blank line (Bun ${Bun.version})`, cmd, o.repo));
    } else if (name === "uws") {
      if (tls) {
        notes.push("skipped uws: the uWebSockets anchor (uws-hello) is built without TLS, so it has no --tls column");
        continue;
      }
      const path = o.uwsBin ?? defaultUwsPath(o.repo);
      const bin = findUws(path);
      if (!bin) {
        notes.push(`skipped uws: the uWebSockets anchor ${path} is not there (or not executable); build it with ../shared/anchors/uws-build.sh or pass --uws PATH`);
        continue;
      }
      specs.push(uwsSpec(bin, prefix));
    } else {
      const bin = findNginx(o.nginxBin);
      if (!bin) {
        notes.push(o.nginxBin ? `skipped nginx: ${o.nginxBin} not found` : NGINX_MISSING);
        continue;
      }
      specs.push({
        name: "nginx",
        describe: `${nginxVersion(bin)} (${bin}), master + 1 worker, generated config (TechEmpower settings, reuseport${tls ? "; ssl, TLS 1.2/1.3, ECDHE-RSA AES-GCM" : ""})`,
        start: async () => startNginx(bin, { prefix, tls: tls ? { cert: tls.cert, key: tls.key } : undefined }),
      });
    }
  }
  return { specs, notes };
}

/** Parses `--only grocketd,bun,nginx`. */
export function parseOnly(list: string | undefined): ServerName[] {
  if (!list) return [...SERVER_NAMES];
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(SERVER_NAMES as readonly string[]).includes(n)) throw new Error(`--only: unknown server ${n} (use ${SERVER_NAMES.join(",")})`);
  }
  return [...new Set(names)] as ServerName[];
}
