/**
 * @module module/manifest
 * Validates a module's default export once, at load, before any port opens: identity fields, the runtime API range,
 * that hooks are functions, that unknown fields are typos, the libraries it provides and requires, its config
 * schema, and that the module serves (or provides) something.
 * Every problem names the module file, the field (a dotted path for nested ones), what was expected and what was found.
 * The schema is a description (config/schema-shape.ts): a valid definition passes config/fast-parse.ts without zod;
 * any other is judged by the zod schema compiled from it (config/zod-compile.ts), whose issues are reported.
 */
import type { z as Zod } from "zod";
import { z } from "../config/schema-shape.ts";
import { fastParse } from "../config/fast-parse.ts";
import { grocketdError } from "../errors.ts";
import { API_VERSION } from "../version.ts";
import { formatValue, zodOf } from "../config/schema.ts";
import { isSemverRange, isSemverVersion, satisfies } from "./semver.ts";
import type { ModuleDefinition } from "./types.ts";
import { valueAt } from "../config/value-at.ts";
import { RUNTIME_LIBRARY } from "./resolve-libraries.ts";

const hook = z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", { message: "expected a function" });
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const nameRule = 'letters, digits, ".", "_" or "-" (1-64 characters)';
const semverVersion = z.string({ message: "expected a string" }).refine(isSemverVersion, { message: 'expected a semver version like "1.2.3"' });
const semverRange = z.string({ message: "expected a string" }).refine(isSemverRange, { message: 'expected a semver range like "^1.0.0"' });

export { RUNTIME_LIBRARY };

/** Duck-typed so a schema made by another copy of zod is accepted too; `shape` lists the keys for typo checks. */
function isZodObjectLike(v: unknown): v is Zod.ZodObject {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as { safeParse?: unknown }).safeParse === "function" &&
    typeof (v as { shape?: unknown }).shape === "object"
  );
}

const classFields = ["create", "singleton", "release"] as const;
const classSchema = z.strictObject(
  { create: hook, singleton: z.boolean({ message: "expected true or false" }).optional(), release: hook.optional() },
  { message: "expected a class { create, singleton?, release? }" },
);
const libraryFields = ["version", "classes"] as const;
const librarySchema = z.strictObject(
  {
    version: semverVersion,
    classes: z.record(
      z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, { message: 'expected a class name like "Store" (letters, digits, "_", "$")' }),
      classSchema,
      { message: "expected a table of classes { Name: { create, ... } }" },
    ),
  },
  { message: "expected a library { version, classes }" },
);
const libraryName = z.string().regex(NAME_RE, { message: `expected a library name of ${nameRule}, like "kv"` });

/** The description of a module definition (exported for test/config/fast-parse.test.ts). */
export const manifestSchema = z.strictObject({
  name: z.string({ message: "expected a string" }).regex(NAME_RE, { message: `expected a name of ${nameRule}, like "echo"` }),
  version: semverVersion,
  grocketd: z.string({ message: "expected a string" }).refine(isSemverRange, { message: 'expected a semver range like "^0.1.0"' }),
  description: z.string({ message: "expected a string" }).optional(),
  config: hook.optional(),
  configSchema: z
    .custom<Zod.ZodObject>(isZodObjectLike, { message: "expected a zod object schema like z.object({ ... })" })
    .optional(),
  provides: z.record(libraryName, librarySchema, { message: "expected a table of libraries { name: { version, classes } }" }).optional(),
  requires: z.record(libraryName, semverRange, { message: 'expected a table of library ranges like { kv: "^1.0.0" }' }).optional(),
  init: hook.optional(),
  term: hook.optional(),
  accept: hook.optional(),
  close: hook.optional(),
  check: hook.optional(),
  proc: hook.optional(),
  draining: hook.optional(),
  http: hook.optional(),
  fetch: hook.optional(),
  error: hook.optional(),
  websocket: z
    .object({ protocols: z.array(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "a subprotocol is an HTTP token (RFC 6455 §4.1)")).optional(), upgrade: hook.optional(), open: hook.optional(), close: hook.optional() })
    .strict()
    .optional(),
});

/** Fields a module may have; the error for a typo lists them. */
const manifestFields: readonly string[] = Object.keys(manifestSchema.shape);

/** The fields allowed where an unknown one was found (top level, a library, a class). */
function knownAt(path: readonly string[]): readonly string[] {
  if (path[0] === "provides" && path.length === 2) return libraryFields;
  if (path[0] === "provides" && path.length === 4) return classFields;
  return manifestFields;
}

function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "function") return "a function";
  if (isZodObjectLike(v)) return "a zod schema";
  return formatValue(v);
}

/** Returns the definition, or throws one GrocketdError listing every problem with this module. */
export function validateManifest(value: unknown, file: string): ModuleDefinition<unknown> {
  if (typeof value !== "object" || value === null) {
    throw grocketdError("GRK_ERR_MODULE_MANIFEST", "notAModule", { file, got: value === undefined ? "no default export" : formatValue(value) });
  }
  const problems: string[] = [];
  const r = fastParse(manifestSchema, value) !== undefined ? undefined : zodOf(manifestSchema).safeParse(value);
  if (r !== undefined && !r.success) {
    for (const issue of r.error.issues) {
      const path = issue.path.map(String);
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) {
          problems.push(`${file}: field "${[...path, k].join(".")}": unknown field (known: ${knownAt(path).join(", ")})`);
        }
        continue;
      }
      const field = path.join(".");
      if (issue.code === "invalid_key") {
        const why = issue.issues[0]?.message ?? issue.message;
        problems.push(`${file}: field "${field}": ${why}, got ${formatValue(path[path.length - 1])}`);
        continue;
      }
      problems.push(`${file}: field "${field}": ${issue.message}, got ${shown(valueAt(value, issue.path))}`);
    }
  }
  const def = value as ModuleDefinition<unknown>;
  const provides = typeof def.provides === "object" && def.provides !== null ? def.provides : {};
  if (Object.hasOwn(provides, RUNTIME_LIBRARY)) {
    problems.push(`${file}: field "provides.${RUNTIME_LIBRARY}": "${RUNTIME_LIBRARY}" is the runtime's own library; a module cannot provide it`);
  }
  const serves = typeof def.http === "function" || typeof def.fetch === "function";
  if (typeof def.proc !== "function" && !serves && Object.keys(provides).length === 0) {
    problems.push(`${file}: field "proc": a module needs a proc, an http or a fetch hook, it has none`);
  }
  if (def.http !== undefined && def.fetch !== undefined) {
    problems.push(`${file}: field "fetch": a module answers HTTP with http or with fetch, not both (it has both)`);
  }
  if (def.error !== undefined && !serves) {
    problems.push(`${file}: field "error": the error hook shapes failed http or fetch answers, and this module has neither`);
  }
  if (problems.length > 0) throw grocketdError("GRK_ERR_MODULE_MANIFEST", "problems", { problems });
  if (!satisfies(API_VERSION, def.grocketd)) {
    throw grocketdError("GRK_ERR_MODULE_VERSION", "range", { file, module: def.name, range: def.grocketd, provided: API_VERSION });
  }
  return def;
}
