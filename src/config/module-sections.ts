/**
 * @module config/module-sections
 * `[modules.<name>]`: a loaded module's own config section, validated by the zod object schema the module declares
 * (`configSchema`), once the modules are loaded. A section of a module that is not loaded or declares no schema, an
 * unknown key (schemas are applied strictly, so typos are caught) or a bad value is a start-up problem naming the
 * source (file and line), the key and the value, like every other config problem.
 */
import type { z } from "zod";
import type { ModuleSections } from "./keys.ts";
import { formatValue } from "./schema.ts";
import { valueAt } from "./value-at.ts";

export interface SectionOwner {
  readonly name: string;
  readonly file: string;
  readonly schema: z.ZodObject | undefined;
}

/** The `modules` part of one config source, in rising precedence (module config() layers, then the file). */
export interface SectionSource {
  readonly sections: ModuleSections | undefined;
  where(key: string): string;
}

/** Returns each schema-owning module's validated section (defaults applied) and every problem found. */
export function resolveModuleSections(
  owners: readonly SectionOwner[],
  sources: readonly SectionSource[],
): { sections: ModuleSections; problems: string[] } {
  const problems: string[] = [];
  const withSchema = owners.filter((o) => o.schema !== undefined);
  const merged = new Map<string, Record<string, unknown>>();
  /** "<module>.<key>" → the highest source that set it, for the error's "where". */
  const setBy = new Map<string, SectionSource>();

  for (const src of sources) {
    for (const [name, table] of Object.entries(src.sections ?? {})) {
      const owner = owners.find((o) => o.name === name);
      if (owner?.schema === undefined) {
        const why = owner ? `module "${name}" (${owner.file}) declares no configSchema` : `no loaded module is named "${name}"`;
        const known = withSchema.map((o) => `[modules.${o.name}]`).join(", ") || "none";
        problems.push(`${src.where(`modules.${name}`)}: modules.${name}: unknown section: ${why} (sections of loaded modules: ${known})`);
        continue;
      }
      const into = merged.get(name) ?? {};
      merged.set(name, into);
      for (const [k, v] of Object.entries(table)) {
        into[k] = v;
        setBy.set(`${name}.${k}`, src);
      }
    }
  }

  const sections: ModuleSections = {};
  for (const o of withSchema) {
    const raw = merged.get(o.name) ?? {};
    const section = `modules.${o.name}`;
    // Strict whatever the author wrote (z.object strips unknown keys silently): a typo must not pass unnoticed.
    const schema = typeof o.schema!.strict === "function" ? o.schema!.strict() : o.schema!;
    const r = schema.safeParse(raw);
    if (r.success) {
      sections[o.name] = r.data as Record<string, unknown>;
      continue;
    }
    for (const issue of r.error.issues) {
      const path = issue.path.map(String);
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) {
          const key = [section, ...path, k].join(".");
          const src = setBy.get(`${o.name}.${path[0] ?? k}`);
          const known = path.length === 0 ? `; known keys in [${section}]: ${Object.keys(o.schema!.shape).join(", ")}` : "";
          problems.push(`${src ? src.where(key) : o.file}: ${key}: unknown key${known}`);
        }
        continue;
      }
      const key = [section, ...path].join(".");
      const src = path.length > 0 ? setBy.get(`${o.name}.${path[0]}`) : undefined;
      if (src === undefined) {
        problems.push(`${key}: required by module "${o.name}" (${o.file}) but not set (add it under [${section}] in the config file): ${issue.message}`);
      } else {
        problems.push(`${src.where(key)}: ${key} = ${formatValue(valueAt(raw, issue.path))}: ${issue.message}`);
      }
    }
  }
  return { sections, problems };
}
