/**
 * Platform probe (docs/platform-notes.md "The module cache"): after a module file and the file it imports change,
 * what does a second import in the same thread see: plainly, under another query string, and in a fresh Worker?
 *
 *   bun bench/platform/module-cache.ts
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Versions = { version: number; helper: number };
const read = (m: Versions) => `module ${m.version}, helper ${m.helper}`;

if (!isMainThread) {
  parentPort!.postMessage(read(await import(workerData as string)));
} else {
  const dir = mkdtempSync(join(tmpdir(), "grk-cache-"));
  const file = join(dir, "m.ts");
  const write = (v: number) => {
    writeFileSync(join(dir, "h.ts"), `export const helper = ${v};\n`);
    writeFileSync(file, `export { helper } from "./h.ts";\nexport const version = ${v};\n`);
  };
  write(1);
  const a = await import(file);
  write(2);
  const b = await import(file);
  const c = await import(`${file}?v=2`);
  const w = new Worker(new URL(import.meta.url).href, { workerData: file } as WorkerOptions);
  const inWorker = await new Promise((r) => w.addEventListener("message", (e) => r(e.data), { once: true }));
  w.terminate();
  console.log(`files changed from 1 to 2. Same thread: import again -> ${read(b)} (same namespace object: ${a === b}); ` +
    `import "?v=2" -> ${read(c)}; a fresh Worker -> ${inWorker}`);
  rmSync(dir, { recursive: true });
}
