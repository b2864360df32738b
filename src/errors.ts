/**
 * @module errors
 * One table of grocketd's failures: a stable `code` per kind, so scripts and tests can rely on the code while the
 * message carries the details (file, key, value, expected). Branded with Symbol.for so `isGrocketdError` works
 * across worker isolates and duplicate copies of this file (undici's trick).
 */

export const ErrorCodes = {
  /** A configuration value or key is wrong (file, environment or flag). */
  CONFIG: "GRK_ERR_CONFIG",
  /** The config file could not be read or is not valid TOML. */
  CONFIG_FILE: "GRK_ERR_CONFIG_FILE",
  /** A command-line flag is unknown or malformed. */
  CLI: "GRK_ERR_CLI",
  /** A module file could not be imported. */
  MODULE_IMPORT: "GRK_ERR_MODULE_IMPORT",
  /** A module's manifest is invalid (names the file and the field). */
  MODULE_MANIFEST: "GRK_ERR_MODULE_MANIFEST",
  /** A module was written for a runtime API range this grocketd does not satisfy. */
  MODULE_VERSION: "GRK_ERR_MODULE_VERSION",
  /** A module hook (init, term, config) failed at start-up or shutdown. */
  MODULE_HOOK: "GRK_ERR_MODULE_HOOK",
  /**
   * Libraries: a required library missing, outside the range, provided twice or part of a cycle (at start-up), or a
   * class used the wrong way (unknown class, `create` of a singleton, a library not declared in `requires`).
   */
  LIBRARY: "GRK_ERR_LIBRARY",
  /** A listen entry cannot be served (no module for it, address in use, ...). */
  LISTEN: "GRK_ERR_LISTEN",
  /** An I/O thread failed to start. */
  THREAD_START: "GRK_ERR_THREAD_START",
  /** The access log (access_log.path) cannot be opened. */
  ACCESS_LOG: "GRK_ERR_ACCESS_LOG",
  /** The status listener (status.listen) cannot listen. */
  STATUS: "GRK_ERR_STATUS",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes] | `GRK_ERR_${string}`;

const kBrand = Symbol.for("grocketd.error");

export class GrocketdError extends Error {
  readonly code: ErrorCode;
  /** Further problems of the same run (a `--check` reports all of them, not only the first). */
  readonly problems: readonly string[];

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; problems?: readonly string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GrocketdError";
    this.code = code;
    this.problems = options?.problems ?? [message];
  }

  get [kBrand](): true {
    return true;
  }
}

export function isGrocketdError(err: unknown): err is GrocketdError {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[kBrand] === true;
}

/** Short, single-line description of anything thrown, for log lines. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  try {
    return typeof err === "string" ? err : JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
