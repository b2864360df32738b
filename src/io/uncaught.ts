/**
 * @module io/uncaught
 * Catches what module code throws where no hook caller can (a throw in a timer or promise callback, a rejection
 * nobody handles) on an I/O or handler thread. Bun delivers both to `process.on("uncaughtException")` and
 * `process.on("unhandledRejection")` inside a Worker, and the thread lives on; a `self` "error" listener sees the
 * error too but cannot keep the thread alive (docs/platform-notes.md). The thread's state may be broken after
 * such a throw, so the error is logged with its stack and the module it came from, counted (errors.uncaught), and
 * reported once to the master, which recycles the thread (master/worker-group.ts).
 */
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { LoadedModule } from "../module/load-module.ts";

/** The module whose file appears first in the error's stack; otherwise the loaded modules' names. */
function blameModule(err: unknown, modules: readonly LoadedModule[]): string {
  const stack = err instanceof Error ? (err.stack ?? "") : "";
  let best: { at: number; name: string } | undefined;
  for (const m of modules) {
    const at = stack.indexOf(m.file);
    if (at >= 0 && (best === undefined || at < best.at)) best = { at, name: m.def.name };
  }
  return best?.name ?? modules.map((m) => m.def.name).join(",");
}

/** Installs the handlers: `count` runs for every error, `fault` once (the first). */
export function catchUncaught(log: Logger, modules: () => readonly LoadedModule[], count: () => void, fault: (message: string) => void): void {
  let reported = false;
  const on = (what: string) => (err: unknown) => {
    count();
    const module = blameModule(err, modules());
    log.error(`${what} in module code; this thread will be recycled`, {
      module,
      error: describeError(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    if (reported) return;
    reported = true;
    fault(`${what} in module ${module}: ${describeError(err)}`);
  };
  process.on("uncaughtException", on("uncaught exception"));
  process.on("unhandledRejection", on("unhandled promise rejection"));
}
