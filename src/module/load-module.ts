/**
 * @module module/load-module
 * Imports a module file and validates its manifest. The master does this first (for `--check`, `config()` and the
 * master `init`); each I/O thread then imports its own copy, because objects are per thread.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { provideSelfModule } from "../entry-path.ts";
import { ErrorCodes, GrocketdError, describeError, isGrocketdError } from "../errors.ts";
import { validateManifest } from "./manifest.ts";
import type { ModuleDefinition } from "./types.ts";

export interface LoadedModule {
  /** Absolute path of the module file. */
  readonly file: string;
  readonly def: ModuleDefinition<unknown>;
}

export async function loadModule(path: string): Promise<LoadedModule> {
  const file = resolve(path);
  if (!existsSync(file)) throw new GrocketdError(ErrorCodes.MODULE_IMPORT, `${file}: module file not found`);
  let ns: { default?: unknown };
  try {
    await provideSelfModule(); // the single binary: "grocketd" is the runtime embedded in it
    ns = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new GrocketdError(ErrorCodes.MODULE_IMPORT, `${file}: cannot import module: ${describeError(err)}`, { cause: err });
  }
  return { file, def: validateManifest(ns.default, file) };
}

/** Loads every module; reports the problems of all of them at once. */
export async function loadModules(paths: readonly string[]): Promise<LoadedModule[]> {
  const { modules, problems } = await loadModulesReport(paths);
  if (problems.length > 0) {
    throw new GrocketdError(ErrorCodes.MODULE_MANIFEST, problems.join("\n"), { problems });
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
