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
  // Misuse of the module API, thrown to the module's own code (built-in error classes carrying a `code`: misuse()).
  /** A response method called when the response cannot take it: finished, headers sent, send() while streaming. */
  RESPONSE_STATE: "GRK_ERR_RESPONSE_STATE",
  /** A bad status or header for a response or staticResponse (not a final status, CR/LF, a header grocketd sets). */
  RESPONSE_VALUE: "GRK_ERR_RESPONSE_VALUE",
  /** `proc` returned or resolved to something other than bytes, a string or nothing. */
  PROC_RESULT: "GRK_ERR_PROC_RESULT",
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

/**
 * A misuse error for module code: an instance of the built-in class that fits (TypeError for a wrong type or value,
 * RangeError for a number out of range, Error for a call at the wrong time) with a stable `code` from ErrorCodes,
 * as Node's own ERR_* errors carry one. `err.code` is what tests and modules check; the message names the call.
 */
export function misuse<E extends Error>(Base: new (message: string) => E, code: ErrorCode, message: string): E & { readonly code: ErrorCode } {
  const err = new Base(message) as E & { code: ErrorCode };
  err.code = code;
  return err;
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
