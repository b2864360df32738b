// `bun test/architecture/dead-exports.ts`: names exported by src/ files that no other file of the repository
// (src/, test/, bench/, modules/, deploy/) mentions and that the public API (src/index.ts) does not re-export.
// "unused": not used in its own file either (dead code); "local": used only in its own file (the export is not needed).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const walk = (dir: string, out: string[] = []): string[] => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== "node_modules") walk(p, out);
    else if (/\.(ts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
};
const files = ["src", "test", "bench", "modules", "deploy"].flatMap((d) => walk(join(ROOT, d)));
const text = new Map(files.map((f) => [f, readFileSync(f, "utf8")]));
const EXPORT = /^export\s+(?:declare\s+)?(?:async\s+)?(?:const|let|function\*?|class|type|interface|enum|abstract\s+class)\s+([A-Za-z_$][\w$]*)/gm;

for (const f of files.filter((p) => p.startsWith(join(ROOT, "src/")))) {
  const own = text.get(f)!;
  for (const m of own.matchAll(EXPORT)) {
    const name = m[1]!;
    const word = new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\b`);
    const elsewhere = files.some((g) => g !== f && word.test(text.get(g)!));
    if (elsewhere) continue;
    const uses = own.split(word).length - 1;
    console.log(`${uses > 1 ? "local " : "unused"}  ${relative(ROOT, f)}  ${name}`);
  }
}
