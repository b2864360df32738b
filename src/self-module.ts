/**
 * @module self-module
 * What a module on disk gets for `import ... from "grocketd"` when the runtime runs from the single binary or the
 * pre-bundled dist/bundle/ (entry-path.ts provideSelfModule registers it as a virtual module): the values of
 * src/index.ts, from the very copy of the runtime the thread runs on, with one difference — `z` loads zod on its
 * first use. Loading zod's whole namespace was the largest single cost of an I/O thread's start (bench/startup.ts),
 * and a module that declares no configSchema never touches it; the thread itself no longer needs zod (the master
 * validates, module/load-module.ts). From source, "grocketd" is src/index.ts itself (package.json), zod included.
 * test/build/self-module.test.ts keeps the two export lists equal.
 */
import type { z as Zod } from "zod";

import { loadZod } from "./config/zod-load.ts";

export { defineModule } from "./module/define-module.ts";
export { defineLibrary } from "./module/define-library.ts";
export { API_VERSION, VERSION } from "./version.ts";
export { staticResponse } from "./http/static-response.ts";

/** An object that stands for `load()`'s result, loaded at the first property access. */
export function lazyNamespace<T extends object>(load: () => T): T {
  let real: T | undefined;
  const it = (): T => (real ??= load());
  return new Proxy({} as T, {
    get: (_, k) => Reflect.get(it(), k),
    has: (_, k) => Reflect.has(it(), k),
    ownKeys: () => Reflect.ownKeys(it()),
    // A module namespace's properties are not configurable; a proxy may not say so of keys its target lacks.
    getOwnPropertyDescriptor: (_, k) => {
      const d = Reflect.getOwnPropertyDescriptor(it(), k);
      return d === undefined ? undefined : { ...d, configurable: true };
    },
  });
}

/** zod, as src/index.ts exports it, loaded when first used. */
export const z: typeof Zod = lazyNamespace(() => loadZod());
