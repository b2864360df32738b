/**
 * @module entry-path
 * Where the runtime's own entry files are (worker entries, the bundled demo module), both when run from source and
 * inside the single binary of `bun run build`. In the binary every file is bundled into Bun's embedded file system
 * and `import.meta.url` names the bundle, not the source file, so `new URL("../io/io-thread.ts", import.meta.url)`
 * points nowhere (docs/platform-notes.md, "Workers in a single binary": `ModuleNotFound resolving "/$bunfs/..."`). The build lists each entry
 * with `--root .`, which stores it at `/$bunfs/root/<path from the repository root, .ts → .js>`; measured: Worker
 * and import() accept that path, and existsSync sees it only with the `.js` name.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** True inside a `bun build --compile` executable (POSIX `/$bunfs/`, Windows `B:/~BUN/`). */
export const COMPILED: boolean = /^file:\/\/\/(\$bunfs|[A-Za-z]:\/~BUN)\//.test(import.meta.url);

const REPO_ROOT = resolve(import.meta.dir, "..");

/** Absolute path of an entry given relative to the repository root, e.g. `entryPath("src/io/io-thread.ts")`. */
export function entryPath(rel: string): string {
  return COMPILED ? `/$bunfs/root/${rel.replace(/\.ts$/, ".js")}` : resolve(REPO_ROOT, rel);
}

/** The same as a URL for `new Worker(...)` (a file: URL from source; the embedded path in the binary). */
export function entryUrl(rel: string): string {
  return COMPILED ? entryPath(rel) : pathToFileURL(entryPath(rel)).href;
}

/**
 * The single binary cannot be told to run another of its files (it always starts the command), so a child process
 * of multi-process mode is the binary itself with this first argument; src/grocketd.ts then runs child-main.
 */
export const CHILD_PROCESS_ARG = "--grocketd-child-process";

/** The command line of a child process: `bun child-main.ts` from source, `grocketd --grocketd-child-process` compiled. */
export function childProcessCommand(childEntry: string): string[] {
  return COMPILED ? [process.execPath, CHILD_PROCESS_ARG] : [process.execPath, childEntry];
}

let selfModule: Promise<void> | undefined;

/**
 * Inside the single binary there is no node_modules, so a module on disk that imports "grocketd" would fail with
 * `Cannot find package 'grocketd'`. Before the first module is imported on a thread, this makes "grocketd" a
 * virtual module (Bun.plugin's `build.module`) whose exports are the binary's own src/index.ts, so the module gets
 * the very runtime it runs in. The build uses `--splitting`, so that index and the thread's entry share one copy of
 * every file (else `instanceof StaticResponse` would fail across copies). Measured with Bun 1.4.4 (see
 * docs/platform-notes.md): in a compiled executable `build.module` works for files on disk, also in Workers once
 * registered there, while an `onResolve` to a `/$bunfs/` path does not. From source this does nothing: Bun resolves
 * "grocketd" through package.json (the package's self-reference, or the user's node_modules).
 */
export function provideSelfModule(): Promise<void> {
  if (!COMPILED) return Promise.resolve();
  selfModule ??= (async () => {
    const api = (await import(entryPath("src/index.ts"))) as Record<string, unknown>;
    Bun.plugin({
      name: "grocketd-self",
      setup(build) {
        build.module("grocketd", () => ({ exports: api, loader: "object" }));
      },
    });
  })();
  return selfModule;
}
