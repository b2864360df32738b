/**
 * @module module/load-module
 * Imports a module file and validates its manifest. The master does this first (for `--check`, `config()` and the
 * master `init`); each I/O thread then imports its own copy, because objects are per thread. An import that fails is
 * reported with its place (file:line:col), as Bun prints it.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { provideSelfModule } from "../entry-path.ts";
import { grocketdError, describeError, isGrocketdError } from "../errors.ts";
import { validateManifest } from "./manifest.ts";
import type { ModuleDefinition } from "./types.ts";

export interface LoadedModule {
  /** Absolute path of the module file. */
  readonly file: string;
  readonly def: ModuleDefinition<unknown>;
}

export async function loadModule(path: string): Promise<LoadedModule> {
  const file = resolve(path);
  if (!existsSync(file)) throw grocketdError("GRK_ERR_MODULE_IMPORT", "notFound", { file });
  let ns: { default?: unknown };
  try {
    await provideSelfModule(); // the single binary: "grocketd" is the runtime embedded in it
    ns = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw grocketdError("GRK_ERR_MODULE_IMPORT", "failed", { file, reason: importFailure(err) }, { cause: err });
  }
  return { file, def: validateManifest(ns.default, file) };
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
