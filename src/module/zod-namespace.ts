/**
 * @module module/zod-namespace
 * zod's namespace, for src/self-module.ts to `require` when its `z` is first used: a require of this ESM file (not of
 * "zod" itself, which would resolve to zod's CommonJS build, a second copy) gets the ESM zod the rest of the runtime
 * imports, and the bundler gives it a chunk of its own that loads only then.
 */
export { z } from "zod";
