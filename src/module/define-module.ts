/**
 * @module module/define-module
 * `defineModule` is the one function a module author calls: it gives full type inference for the hooks (the
 * per-connection state type flows from `accept` into `check`, `proc` and `close`; the type of `configSchema` flows
 * into `ctx.moduleConfig`) and freezes it. The brand it adds types the result; the loader does not read it, it validates
 * the shape of any default export at load (module/manifest.ts).
 */
import type { ModuleConfigSchema, ModuleDefinition } from "./types.ts";

export const kModule: unique symbol = Symbol.for("grocketd.module") as never;

/** What `defineModule` returns; the default export of a module file. */
export type GrocketdModule<S = unknown, CS extends ModuleConfigSchema = ModuleConfigSchema> = ModuleDefinition<S, CS> & {
  readonly [kModule]: true;
};

/**
 * Declares a module. The default export of a module file must be its result.
 *
 * @example
 * ```ts
 * export default defineModule({
 *   name: "counter", version: "1.0.0", grocketd: "^0.1.0",
 *   accept: () => ({ seen: 0 }),                       // state type inferred: { seen: number }
 *   proc(packet, conn) { conn.state.seen++; return `${conn.state.seen}\n`; },
 * });
 * ```
 */
export function defineModule<S = undefined, CS extends ModuleConfigSchema = ModuleConfigSchema>(
  def: ModuleDefinition<S, CS>,
): GrocketdModule<S, CS> {
  return Object.freeze({ ...def, [kModule]: true as const });
}
