/**
 * @module module/config-getters
 * `getInt/getString/getBool(section, key, default)` of the runtime library (the original's `config_get_*`), over the
 * validated configuration. Unlike the original they refuse an unknown section or key and a value of another type:
 * the config itself was validated at start-up, so such a call is a typo in the module, best caught at its `init`.
 * The sections and keys that exist are read off the validated configuration itself (every key is in it, defaults
 * merged), not off the key table: that table builds every key's zod schema, which a thread does not need.
 */
import type { Config } from "../config/keys.ts";
import { formatValue } from "../config/value-at.ts";
import { grocketdError } from "../errors.ts";
import type { RuntimeLibrary } from "./library-types.ts";

export type ConfigGetters = Pick<RuntimeLibrary, "getInt" | "getString" | "getBool">;

/** `moduleKeys`: for each module with a config schema, the keys of its section. */
export function configGetters(config: Readonly<Config>, moduleKeys: ReadonlyMap<string, readonly string[]>): ConfigGetters {
  const lookup = (section: string, key: string): unknown => {
    let known: readonly string[];
    let values: Record<string, unknown> | undefined;
    if (section.startsWith("modules.")) {
      const name = section.slice("modules.".length);
      const keys = moduleKeys.get(name);
      if (!keys) {
        const have = [...moduleKeys.keys()].map((m) => `modules.${m}`);
        throw grocketdError("GRK_ERR_CONFIG", "noSection", { section, known: `module sections: ${have.join(", ") || "none; a module declares one with configSchema"}` });
      }
      known = keys;
      values = config.modules[name];
    } else if (section !== "modules" && Object.hasOwn(config, section)) {
      values = (config as unknown as Record<string, Record<string, unknown>>)[section];
      known = Object.keys(values ?? {});
    } else {
      const sections = Object.keys(config).filter((s) => s !== "modules");
      throw grocketdError("GRK_ERR_CONFIG", "noSection", { section, known: `sections: ${[...sections, "modules.<name>"].join(", ")}` });
    }
    if (!known.includes(key)) throw grocketdError("GRK_ERR_CONFIG", "noKey", { section, key, known: known.join(", ") });
    return values?.[key];
  };
  const typed = <T>(what: string, ok: (v: unknown) => v is T) => (section: string, key: string, def: T): T => {
    const v = lookup(section, key);
    if (v === undefined) return def;
    if (ok(v)) return v;
    throw grocketdError("GRK_ERR_CONFIG", "wrongType", { section, key, value: formatValue(v), expected: what });
  };
  return {
    getInt: typed("an integer", (v): v is number => typeof v === "number" && Number.isInteger(v)),
    getString: typed("a string", (v): v is string => typeof v === "string"),
    getBool: typed("a boolean", (v): v is boolean => typeof v === "boolean"),
  };
}
