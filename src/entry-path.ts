/**
 * @module entry-path
 * Where the runtime's own entry files are (worker entries, the bundled demo module), both when run from source and
 * inside the single binary of `bun run build`. In the binary every file is bundled into Bun's embedded file system
 * and `import.meta.url` names the bundle, not the source file, so `new URL("../thread/io-thread.ts", import.meta.url)`
 * points nowhere (docs/platform-notes.md, "Workers in a single binary": `ModuleNotFound resolving "/$bunfs/..."`). The build lists each entry
 * with `--root .`, which stores it at `/$bunfs/root/<path from the repository root, .ts → .js>`; measured: Worker
 * and import() accept that path, and existsSync sees it only with the `.js` name.
 * The pre-bundled runtime (dist/bundle/, src/build/build-dist.ts) is laid out the same way under its own folder:
 * `dist/bundle/src/thread/io-thread.js`, with the chunks they share (this file among them, as a rule) at the folder's
 * top; the folder is the nearest one above this file that holds bundle.json.
 * No node:fs or node:path: this file is in every I/O thread's graph, and those imports cost each thread ~5 ms of CPU
 * at start (bench/startup.ts --perf). Every path here is absolute (import.meta.dir) and only ever gets a last
 * component taken off or relative components added, which string operations do exactly.
 */
import { startupMark } from "./log/startup-trace.ts";

/**
 * The file this code was loaded from when it runs from the pre-bundled runtime: build/build-dist.ts bundles each entry
 * as one CommonJS file with Bun's bytecode cache, whose banner sets this from the wrapper's `__filename` (in that
 * format the bundler writes `import.meta.path` and `import.meta.dir` as the build machine's source paths). Undefined
 * from source and in the single binary, where import.meta names the running file.
 */
declare const __grocketdBundleFile: string | undefined;
const HERE_PATH: string = typeof __grocketdBundleFile === "string" ? __grocketdBundleFile : import.meta.path;

/** True inside a `bun build --compile` executable (POSIX `/$bunfs/`, Windows `B:/~BUN/`). */
export const COMPILED: boolean = /^file:\/\/\/(\$bunfs|[A-Za-z]:\/~BUN)\//.test(import.meta.url);

/** The folder an absolute path is in (POSIX or Windows separators). */
function parentOf(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (i < 0) return path;
  return i === 0 ? path.slice(0, 1) : path.slice(0, i); // "/a" -> "/"
}

/** An absolute folder joined with a relative path of plain components ("src/thread/io-thread.js"). */
const under = (dir: string, rel: string): string => (dir.endsWith("/") || dir.endsWith("\\") ? dir + rel : `${dir}/${rel}`);

/** The pre-bundled runtime's folder when this file runs from it (a `.js` file below dist/bundle/bundle.json). */
function findBundleDir(): string | undefined {
  if (COMPILED || !HERE_PATH.endsWith(".js")) return undefined; // from source: no file system look-up
  // Bun.file().size is one stat, 0 when the file is missing; a bundle.json is never empty (build/dist-manifest.ts).
  for (let dir = parentOf(HERE_PATH), i = 0; i < 4; i++, dir = parentOf(dir)) if (Bun.file(under(dir, "bundle.json")).size > 0) return dir;
  return undefined;
}
const BUNDLE_DIR = findBundleDir();
export const BUNDLED: boolean = BUNDLE_DIR !== undefined;

/**
 * The folder of the pre-bundled entry file this code runs from (a path the bundler wrote relative to its output, such
 * as a `with { type: "file" }` import, is relative to it), undefined otherwise.
 */
export const BUNDLE_FILE_DIR: string | undefined = typeof __grocketdBundleFile === "string" ? parentOf(__grocketdBundleFile) : undefined;

/** The package root: above src/ from source, above dist/bundle/ when bundled. */
const REPO_ROOT = BUNDLE_DIR === undefined ? parentOf(import.meta.dir) : parentOf(parentOf(BUNDLE_DIR));

/**
 * Absolute path of an entry given relative to the repository root, e.g. `entryPath("src/thread/io-thread.ts")`. When
 * bundled, the runtime's own files (src/) come from the bundle and the rest (modules/echo.ts) from the package.
 */
export function entryPath(rel: string): string {
  if (COMPILED) return `/$bunfs/root/${rel.replace(/\.ts$/, ".js")}`;
  if (BUNDLE_DIR !== undefined && rel.startsWith("src/")) return under(BUNDLE_DIR, rel.replace(/\.ts$/, ".js"));
  return under(REPO_ROOT, rel);
}

/** The same as a URL for `new Worker(...)` (a file: URL from source; the embedded path in the binary). */
export function entryUrl(rel: string): string {
  return COMPILED ? entryPath(rel) : Bun.pathToFileURL(entryPath(rel)).href; // not node:url: its import costs start-up
}

/**
 * The single binary cannot be told to run another of its files (it always starts the command), so a child process
 * of multi-process mode is the binary itself with this first argument; src/grocketd.ts then runs child-main.
 */
export const CHILD_PROCESS_ARG = "--grocketd-child-process";

/** The command line of a child process: `bun child-main.ts` from source (or the bundle), `grocketd --grocketd-child-process` compiled. */
export function childProcessCommand(): string[] {
  return COMPILED ? [process.execPath, CHILD_PROCESS_ARG] : [process.execPath, entryPath("src/master/child-main.ts")];
}

let selfModule: Promise<void> | undefined;
let selfModuleLoader: (() => Promise<unknown>) | undefined;

/**
 * How this thread's entry file imports src/self-module.ts: `() => import("../self-module.ts")`, so the bundler puts
 * it in the entry's own bundle and a module gets the copy of the runtime the thread runs on (a pre-bundled entry is
 * one file with everything it imports; src/self-module.js beside it would be a second copy). Every entry that
 * imports modules sets it at its top (grocketd.ts, thread/io-thread.ts, pool/handler-thread.ts, master/plan-worker.ts,
 * master/child-main.ts); from source it is never called.
 */
export function setSelfModuleLoader(load: () => Promise<unknown>): void {
  selfModuleLoader = load;
}

/**
 * Inside the single binary there is no node_modules, so a module on disk that imports "grocketd" would fail with
 * `Cannot find package 'grocketd'`. Before the first module is imported on a thread, this makes "grocketd" a
 * virtual module (Bun.plugin's `build.module`) whose exports are the binary's own src/self-module.ts (the values of
 * src/index.ts, zod loaded at its first use), so the module gets the very runtime it runs in. The build uses
 * `--splitting`, so that file and the thread's entry share one copy of
 * every file (else `instanceof StaticResponse` would fail across copies). Measured with Bun 1.4.4 (see
 * docs/platform-notes.md): in a compiled executable `build.module` works for files on disk, also in Workers once
 * registered there, while an `onResolve` to a `/$bunfs/` path does not. The pre-bundled runtime does the same, for
 * the same reason (its chunks are a second copy of the sources; a runtime plugin's module wins over node_modules
 * and the package's self-reference, docs/platform-notes.md "Pre-bundled entries"). From source this does nothing:
 * Bun resolves "grocketd" through package.json (the package's self-reference, or the user's node_modules).
 */
export function provideSelfModule(): Promise<void> {
  if (!COMPILED && !BUNDLED) return Promise.resolve();
  selfModule ??= (async () => {
    startupMark("self-module", COMPILED ? "compiled" : "bundle"); // per thread: which copy its modules will get
    const api = (await (selfModuleLoader ?? (() => import(entryPath("src/self-module.ts"))))()) as Record<string, unknown>;
    Bun.plugin({
      name: "grocketd-self",
      setup(build) {
        build.module("grocketd", () => ({ exports: api, loader: "object" }));
      },
    });
  })();
  return selfModule;
}
