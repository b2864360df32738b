/**
 * @module config/fast-parse
 * Judges a value against a described schema (config/schema-shape.ts) without zod: the path every valid config layer
 * and module manifest takes at start-up. It is deliberately one-sided: it returns the parsed value only when it is
 * sure zod would accept the value with that same result; otherwise (a bad value, or anything it does not model
 * exactly: a non-plain object, a symbol or `__proto__` key, a flag it does not know) it says so and the caller asks
 * zod (config/zod-compile.ts), whose verdict and messages are the ones reported. So it can be wrong only by being
 * slow, never by letting a bad value through or by changing a message; test/config/fast-parse.test.ts compares it
 * with zod key by key.
 */
import { Shape, type RefineCtx, type Step } from "./schema-shape.ts";

/** Not valid (zod would report an issue): for a union, the next option may still match. */
const BAD: unique symbol = Symbol("bad");
/** Not modelled here: only zod can tell. */
const UNSURE: unique symbol = Symbol("unsure");

/** The parsed value, or undefined when zod has to judge (the value may be invalid, or merely unusual). */
export function fastParse<T>(shape: Shape<T>, value: unknown): { value: T } | undefined {
  const r = parse(shape, value);
  return r === BAD || r === UNSURE ? undefined : { value: r as T };
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** A predicate's verdict; one that throws (zod would throw too) or answers a Promise is for zod to handle. */
function test(fn: unknown, v: unknown): boolean | typeof UNSURE {
  let r: unknown;
  try {
    r = (fn as (x: unknown) => unknown)(v);
  } catch {
    return UNSURE;
  }
  return r instanceof Promise ? UNSURE : Boolean(r);
}

/** A refinement's context that only records that an issue was raised. */
class Flag implements RefineCtx {
  raised = false;
  addIssue(): void {
    this.raised = true;
  }
}

function parse(s: Shape, v: unknown): unknown {
  const steps = s.steps;
  let n = steps.length;
  // `.optional()` is understood only as the last call (as every described schema uses it).
  if (n > 0 && steps[n - 1]!.m === "optional") {
    if (v === undefined) return undefined;
    n--;
  }
  const out = base(s, v, steps, n);
  if (out === BAD || out === UNSURE) return out;
  return checks(s.base, out, steps, n);
}

/** The first builder call: type check and parse. */
function base(s: Shape, v: unknown, steps: readonly Step[], n: number): unknown {
  const a = s.args;
  switch (s.base) {
    case "string":
      return typeof v === "string" ? v : BAD;
    case "number":
      return typeof v === "number" && Number.isFinite(v) ? v : BAD;
    case "boolean":
      return typeof v === "boolean" ? v : BAD;
    case "unknown":
      return v;
    case "literal":
      if (Array.isArray(a[0]) || typeof a[0] === "number" && Number.isNaN(a[0])) return UNSURE;
      return v === a[0] ? v : BAD;
    case "enum":
      if (!Array.isArray(a[0])) return UNSURE;
      return typeof v === "string" && (a[0] as unknown[]).includes(v) ? v : BAD;
    case "array": {
      if (!Array.isArray(v)) return BAD;
      const out: unknown[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) return UNSURE; // a hole
        const r = parse(a[0] as Shape, v[i]);
        if (r === BAD || r === UNSURE) return r;
        out[i] = r;
      }
      return out;
    }
    case "union": {
      // zod returns the first option that matches; an option that only zod can judge stops the search.
      for (const o of a[0] as Shape[]) {
        const r = parse(o, v);
        if (r !== BAD) return r;
      }
      return BAD;
    }
    case "preprocess": {
      let mapped: unknown;
      try {
        mapped = (a[0] as (x: unknown) => unknown)(v);
      } catch {
        return UNSURE;
      }
      return parse(a[1] as Shape, mapped);
    }
    case "custom": {
      const ok = test(a[0], v);
      return ok === UNSURE ? UNSURE : ok ? v : BAD;
    }
    case "object":
    case "strictObject":
      return object(a[0] as Record<string, Shape>, v, s.base === "strictObject" || steps.slice(0, n).some((x) => x.m === "strict"));
    case "record":
      return record(a[0] as Shape, a[1] as Shape, v);
    default:
      return UNSURE;
  }
}

function object(fields: Record<string, Shape>, v: unknown, strict: boolean): unknown {
  if (!isPlain(v)) return typeof v === "object" && v !== null && !Array.isArray(v) ? UNSURE : BAD;
  if (Object.hasOwn(v, "__proto__")) return UNSURE;
  const out: Record<string, unknown> = {};
  for (const k in fields) {
    const f = fields[k]!;
    if (!Object.hasOwn(v, k)) {
      const last = f.steps[f.steps.length - 1];
      if (last?.m !== "optional") return UNSURE; // zod's rule for absent required keys is its own
      continue;
    }
    const r = parse(f, v[k]);
    if (r === BAD || r === UNSURE) return r;
    out[k] = r;
  }
  // zod reports unknown keys under strict (symbol keys are not seen by it either) and drops them otherwise.
  if (strict) for (const k of Object.keys(v)) if (!Object.hasOwn(fields, k)) return BAD;
  return out;
}

function record(key: Shape, value: Shape, v: unknown): unknown {
  if (!isPlain(v)) return typeof v === "object" && v !== null && !Array.isArray(v) ? UNSURE : BAD;
  const keys = Object.keys(v);
  // Symbol, non-enumerable and __proto__ keys each have a rule of their own in zod.
  if (Object.getOwnPropertySymbols(v).length > 0 || Object.getOwnPropertyNames(v).length !== keys.length || Object.hasOwn(v, "__proto__")) return UNSURE;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (parse(key, k) !== k) return UNSURE; // a failing key may still pass as a number in zod; a mapped one is unusual
    const r = parse(value, v[k]);
    if (r === BAD || r === UNSURE) return r;
    out[k] = r;
  }
  return out;
}

/** The calls after the first (up to `n`): checks and refinements on the parsed value. */
function checks(kind: string, v: unknown, steps: readonly Step[], n: number): unknown {
  for (let i = 0; i < n; i++) {
    const { m, args } = steps[i]!;
    switch (m) {
      case "strict":
        if (kind !== "object" && kind !== "strictObject") return UNSURE;
        break;
      case "int":
        if (kind !== "number") return UNSURE;
        if (!Number.isSafeInteger(v)) return BAD;
        break;
      case "min":
      case "max": {
        const bound = args[0] as number;
        const size = kind === "number" ? (v as number) : kind === "string" || kind === "array" ? (v as { length: number }).length : undefined;
        if (size === undefined || typeof bound !== "number") return UNSURE;
        if (m === "min" ? size < bound : size > bound) return BAD;
        break;
      }
      case "regex": {
        const re = args[0] as RegExp;
        if (kind !== "string" || !(re instanceof RegExp) || re.global || re.sticky) return UNSURE;
        if (!re.test(v as string)) return BAD;
        break;
      }
      case "refine": {
        const ok = test(args[0], v);
        if (ok === UNSURE) return UNSURE;
        if (!ok) return BAD;
        break;
      }
      case "superRefine": {
        const ctx = new Flag();
        try {
          (args[0] as (x: unknown, c: RefineCtx) => void)(v, ctx);
        } catch {
          return UNSURE;
        }
        if (ctx.raised) return BAD;
        break;
      }
      default:
        return UNSURE;
    }
  }
  return v;
}
