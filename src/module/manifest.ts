/**
 * @module module/manifest
 * Validates a module's default export once, at load, before any port opens: identity fields, the runtime API range,
 * that hooks are functions, that unknown fields are typos, and that the module serves something.
 * Every problem names the module file, the field, what was expected and what was found.
 */
import { z } from "zod";
import { ErrorCodes, GrocketdError } from "../errors.ts";
import { API_VERSION } from "../version.ts";
import { formatValue } from "../config/schema.ts";
import { isSemverRange, isSemverVersion, satisfies } from "./semver.ts";
import type { ModuleDefinition } from "./types.ts";

const hook = z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", { message: "expected a function" });

const manifestSchema = z.strictObject({
  name: z.string({ message: "expected a string" }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    message: 'expected a name of letters, digits, ".", "_" or "-" (1-64 characters), like "echo"',
  }),
  version: z.string({ message: "expected a string" }).refine(isSemverVersion, { message: 'expected a semver version like "1.2.3"' }),
  grocketd: z.string({ message: "expected a string" }).refine(isSemverRange, { message: 'expected a semver range like "^0.1.0"' }),
  description: z.string({ message: "expected a string" }).optional(),
  config: hook.optional(),
  init: hook.optional(),
  term: hook.optional(),
  accept: hook.optional(),
  close: hook.optional(),
  check: hook.optional(),
  proc: hook.optional(),
  http: hook.optional(),
});

/** Fields a module may have; the error for a typo lists them. */
export const manifestFields: readonly string[] = Object.keys(manifestSchema.shape);

/** Returns the definition, or throws one GrocketdError listing every problem with this module. */
export function validateManifest(value: unknown, file: string): ModuleDefinition<unknown> {
  if (typeof value !== "object" || value === null) {
    throw new GrocketdError(
      ErrorCodes.MODULE_MANIFEST,
      `${file}: the default export must be a module made with defineModule({...}), got ${value === undefined ? "no default export" : formatValue(value)}`,
    );
  }
  const problems: string[] = [];
  const r = manifestSchema.safeParse(value);
  if (!r.success) {
    for (const issue of r.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) problems.push(`${file}: field "${k}": unknown field (known: ${manifestFields.join(", ")})`);
        continue;
      }
      const field = issue.path.map(String).join(".");
      const got = (value as Record<string, unknown>)[field];
      problems.push(`${file}: field "${field}": ${issue.message}, got ${got === undefined ? "nothing" : formatValue(typeof got === "function" ? "a function" : got)}`);
    }
  }
  const def = value as ModuleDefinition<unknown>;
  if (typeof def.proc !== "function" && typeof def.http !== "function") {
    problems.push(`${file}: field "proc": a module needs a proc or an http hook, it has neither`);
  }
  if (problems.length > 0) throw new GrocketdError(ErrorCodes.MODULE_MANIFEST, problems.join("\n"), { problems });
  if (!satisfies(API_VERSION, def.grocketd)) {
    throw new GrocketdError(
      ErrorCodes.MODULE_VERSION,
      `${file}: field "grocketd": module "${def.name}" requires grocketd module API ${def.grocketd}, this grocketd provides ${API_VERSION}`,
    );
  }
  return def;
}
