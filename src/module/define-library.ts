/**
 * @module module/define-library
 * `defineLibrary` declares a library for a module's `provides`. It does nothing at run time but keep the exact type
 * of every class (factory arguments, object type, `singleton: true` as a literal), so the provider can export
 * `type KvLibrary = typeof kv` and consumers get checked `create`/`singleton` calls without importing its code.
 * Validation (version, class names, hooks) happens at load, in module/manifest.ts.
 */
import type { ClassTable, LibraryDefinition } from "./library-types.ts";

/**
 * @example
 * ```ts
 * export const kv = defineLibrary({
 *   version: "1.2.0",
 *   classes: {
 *     Store: { create: () => new Store(), singleton: true, release: (s: Store) => s.clear() },
 *     View: { create: (store: Store, prefix: string) => new View(store, prefix) },
 *   },
 * });
 * export type KvLibrary = typeof kv;
 * ```
 */
export function defineLibrary<const C extends ClassTable>(library: { version: string; classes: C }): LibraryDefinition<C> {
  return Object.freeze({ version: library.version, classes: Object.freeze({ ...library.classes }) });
}
