// Writes small module files for library tests: each provides and requires what it is told and logs
// "init <name> <role> <index>" / "term <name> <role> <index>" so tests can see the order.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const INDEX = resolve(import.meta.dir, "../../src/index.ts");

export interface ModuleSpec {
  readonly name: string;
  /** library → version; each gets one singleton class `Thing`. */
  readonly provides?: Record<string, string>;
  /** library → range */
  readonly requires?: Record<string, string>;
}

export function writeLibModule(dir: string, spec: ModuleSpec): string {
  const provides = Object.entries(spec.provides ?? {})
    .map(([lib, v]) => `${JSON.stringify(lib)}: { version: ${JSON.stringify(v)}, classes: { Thing: { create: () => ({}), singleton: true } } }`)
    .join(", ");
  const file = join(dir, `${spec.name}.ts`);
  writeFileSync(
    file,
    `import { defineModule } from ${JSON.stringify(INDEX)};
export default defineModule({
  name: ${JSON.stringify(spec.name)},
  version: "1.0.0",
  grocketd: "^0.1.0",
  provides: { ${provides} },
  requires: ${JSON.stringify(spec.requires ?? {})},
  init: (ctx) => ctx.log.info(\`init ${spec.name} \${ctx.role} \${ctx.index}\`),
  term: (ctx) => ctx.log.info(\`term ${spec.name} \${ctx.role} \${ctx.index}\`),
  proc: (p) => p,
});
`,
  );
  return file;
}
