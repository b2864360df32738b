/**
 * @module config/zod-load
 * zod's namespace `z`, loaded at its first use, for the two places that run zod (config/zod-compile.ts, the `z` of
 * src/self-module.ts), so a thread has one zod. From source and in the single binary it is config/zod-namespace.ts;
 * in the pre-bundled runtime, that file's own bundle (dist/bundle/src/config/zod-namespace.js, found by
 * entry-path.ts): build/build-dist.ts leaves it out of every other entry, because zod is most of what an entry holds
 * (~590 KB of its ~880 KB) and loading an entry's bytecode with zod in it cost an I/O thread ~4.5 ms more CPU at
 * start, zod used or not (bench/startup.ts --perf).
 */
import type { z as Zod } from "zod";
import { BUNDLED, entryPath } from "../entry-path.ts";

let z: typeof Zod | undefined;

export function loadZod(): typeof Zod {
  z ??= BUNDLED
    ? (require(entryPath("src/config/zod-namespace.ts")) as { z: typeof Zod }).z
    : (require("./zod-namespace.ts") as { z: typeof Zod }).z;
  return z;
}
