/**
 * @module config/value-at
 * The value a zod issue's path points at in the raw input, so error messages can show what was actually written
 * (config layers, module sections and manifests all report "key = value"). No zod here: the threads' config getters
 * format values too, and they do not load zod (module/config-getters.ts).
 */

/** `root[path[0]][path[1]]…`, or undefined where the path leaves the objects. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** A value as an error message shows it. */
export function formatValue(v: unknown): string {
  if (v === undefined) return "(missing)";
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
