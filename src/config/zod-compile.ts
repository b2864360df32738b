/**
 * @module config/zod-compile
 * Turns a described schema (config/schema-shape.ts) into the real zod schema by making the very calls it recorded,
 * in order, with the same arguments: `z.string().regex(re, msg)` described is `z.string().regex(re, msg)` in zod.
 * Loaded (with zod) only when config/fast-parse.ts could not accept a value, so zod's verdict and zod's messages are
 * the ones reported (config/schema.ts, module/manifest.ts); a start whose config and modules are valid never loads it.
 * Each description is compiled once.
 */
import type { z as Zod } from "zod";
import { loadZod } from "./zod-load.ts";
import { grocketdError } from "../errors.ts";
import { Shape } from "./schema-shape.ts";

const compiled = new WeakMap<Shape, Zod.ZodType>();

/** Shapes inside an argument (a field table, a list of union options) become zod schemas too. */
function arg(a: unknown): unknown {
  if (a instanceof Shape) return toZod(a);
  if (Array.isArray(a)) return a.some((x) => x instanceof Shape) ? a.map(arg) : a;
  if (typeof a === "object" && a !== null && Object.getPrototypeOf(a) === Object.prototype) {
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, arg(v)]));
  }
  return a;
}

type Builder = Record<string, (...args: unknown[]) => unknown>;

/** The zod schema the description stands for. */
export function toZod<T>(shape: Shape<T>): Zod.ZodType<T> {
  const hit = compiled.get(shape);
  if (hit !== undefined) return hit as Zod.ZodType<T>;
  const make = (loadZod() as unknown as Builder)[shape.base];
  if (typeof make !== "function") throw grocketdError("GRK_ERR_CONFIG", "noZodBuilder", { call: `z.${shape.base}()` });
  let out = make(...shape.args.map(arg)) as Builder;
  for (const step of shape.steps) {
    const call = out[step.m];
    if (typeof call !== "function") throw grocketdError("GRK_ERR_CONFIG", "noZodBuilder", { call: `z.${shape.base}().${step.m}()` });
    out = call.apply(out, step.args.map(arg)) as Builder;
  }
  compiled.set(shape, out as unknown as Zod.ZodType);
  return out as unknown as Zod.ZodType<T>;
}
