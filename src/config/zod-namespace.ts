/**
 * @module config/zod-namespace
 * zod's namespace, for config/zod-load.ts to `require` when zod is first used: a require of this ESM file (not of
 * "zod" itself, which would resolve to zod's CommonJS build, a second copy) gets the ESM zod. In the pre-bundled
 * runtime this file is an entry of its own (build/build-dist.ts), so zod is in no other entry's bytecode.
 */
export { z } from "zod";
