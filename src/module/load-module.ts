/**
 * @module module/load-module
 * Imports a module file and validates its manifest. The master does this first (for `--check`, `config()` and the
 * master `init`); each I/O thread then imports its own copy, because objects are per thread. An import that fails is
 * reported with its place (file:line:col), as Bun prints it. Threads and child processes import the modules the
 * master validated with loadValidatedModule, which does not validate them again: validation is zod (manifest.ts), and
 * loading zod and building its schemas was a large part of every thread's start-up (bench/startup.ts).
 */
import { provideSelfModule } from "../entry-path.ts";
import { grocketdError, describeError, isGrocketdError } from "../errors.ts";
import type { ModuleRef } from "./binding.ts";
import type { ModuleDefinition } from "./types.ts";

export interface LoadedModule {
  /** Absolute path of the module file. */
  readonly file: string;
  readonly def: ModuleDefinition<unknown>;
}

// node:fs and node:path are loaded only when needed (module loaded at first use, then cached): this file is in every
// I/O thread's graph, where the two imports cost ~5 ms of CPU per thread at start (bench/startup.ts --perf), and a
// thread gets absolute paths that exist from the master's plan.
const fs = (): typeof import("node:fs") => require("node:fs") as typeof import("node:fs");
const normalized = (path: string): boolean => path.startsWith("/") && !path.includes("/.") && !path.includes("//");
const absolute = (path: string): string => (normalized(path) ? path : (require("node:path") as typeof import("node:path")).resolve(path));

/** Imports a module file and validates its manifest (what the master, --check and a reload's plan do). */
export async function loadModule(path: string): Promise<LoadedModule> {
  const file = absolute(path);
  if (!fs().existsSync(file)) throw grocketdError("GRK_ERR_MODULE_IMPORT", "notFound", { file });
  const ns = await importModuleFile(file);
  const { validateManifest } = await import("./manifest.ts");
  return { file, def: validateManifest(ns.default, file) };
}

/**
 * Imports a module the master has validated (its plan names it, `ref`) in a thread or child process, without
 * validating the manifest again; only that the file still exports a module of that name, since it could have been
 * changed in between (a reload validates the new one before new threads import it).
 */
export async function loadValidatedModule(ref: ModuleRef): Promise<LoadedModule> {
  const file = absolute(ref.file);
  const def = (await importModuleFile(file)).default as Partial<ModuleDefinition<unknown>> | null | undefined;
  if (typeof def !== "object" || def === null || def.name !== ref.name) {
    throw grocketdError("GRK_ERR_MODULE_MANIFEST", "changed", { file, module: ref.name });
  }
  return { file, def: def as ModuleDefinition<unknown> };
}

/** The master checked that the file exists (loadModule); a thread asks only when the import failed. */
async function importModuleFile(file: string): Promise<{ default?: unknown }> {
  try {
    await provideSelfModule(); // the single binary and the bundle: "grocketd" is the runtime this thread runs on
    return (await import(Bun.pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    if (!fs().existsSync(file)) throw grocketdError("GRK_ERR_MODULE_IMPORT", "notFound", { file }, { cause: err });
    throw grocketdError("GRK_ERR_MODULE_IMPORT", "failed", { file, reason: importFailure(err) }, { cause: err });
  }
}

/** Where Bun's transpiler stopped: BuildMessage/ResolveMessage carry it as `position` (1-based line and column). */
interface SourcePosition {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly lineText?: string;
}

/**
 * Why an import failed, with the place: a syntax error (Bun's BuildMessage has no stack, its place is `position`)
 * as `file:line:col: message (the line)`; an error thrown while the module body ran as its message and the first
 * frame of its stack (`at file:line:col`).
 */
export function importFailure(err: unknown): string {
  const pos = (err as { position?: SourcePosition | null } | null)?.position;
  if (pos && typeof pos.file === "string" && typeof pos.line === "number") {
    const text = typeof pos.lineText === "string" && pos.lineText.trim() !== "" ? ` (${pos.lineText.trim()})` : "";
    return `${pos.file}:${pos.line}:${pos.column ?? 0}: ${describeError(err)}${text}`;
  }
  const frame = err instanceof Error ? err.stack?.split("\n").map((l) => l.trim()).find((l) => l.startsWith("at ")) : undefined;
  return frame === undefined ? describeError(err) : `${describeError(err)} (${frame})`;
}

/** Loads every module; reports the problems of all of them at once. */
export async function loadModules(paths: readonly string[]): Promise<LoadedModule[]> {
  const { modules, problems } = await loadModulesReport(paths);
  if (problems.length > 0) {
    throw grocketdError("GRK_ERR_MODULE_MANIFEST", "problems", { problems });
  }
  return modules;
}

/** Loads every module it can: the ones that load, and the problems of the others (so --check can go on with them). */
export async function loadModulesReport(paths: readonly string[]): Promise<{ modules: LoadedModule[]; problems: string[] }> {
  const out: LoadedModule[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    try {
      out.push(await loadModule(p));
    } catch (err) {
      if (isGrocketdError(err)) problems.push(...err.problems);
      else problems.push(`${p}: ${describeError(err)}`);
    }
  }
  const seen = new Map<string, string>();
  for (const m of out) {
    const other = seen.get(m.def.name);
    if (other) problems.push(`${m.file}: field "name": module name "${m.def.name}" is also used by ${other}`);
    seen.set(m.def.name, m.file);
  }
  return { modules: out, problems };
}
