/**
 * @module errors
 * One table of grocketd's failures (fastify's lib/errors.js idea): per stable `code` what it means, who sees it, the
 * HTTP status where there is one, and the message templates (`%{name}` parameters) every message of that code is
 * made from, so scripts, tests and modules rely on the code while the message carries the details. docs/errors.md is
 * rendered from this table (src/build/error-docs.ts; a test keeps it in step). Branded with Symbol.for so
 * `isGrocketdError` works across worker isolates and duplicate copies of this file (undici's trick).
 */
import { ERROR_TABLE } from "./error-table.ts";

type Table = typeof ERROR_TABLE;
/** A code of the table. */
export type TableCode = keyof Table;
/** Any grocketd code; a code that crossed a thread from a newer or older copy may not be in this table. */
export type ErrorCode = TableCode | `GRK_${string}`;
/** The names of a code's message templates. */
export type MessageName<C extends TableCode> = keyof Table[C]["messages"] & string;

type Names<T extends string> = T extends `${string}%{${infer P}}${infer Rest}` ? P | Names<Rest> : never;
type Template<C extends TableCode, M extends MessageName<C>> = Table[C]["messages"][M] & string;
/** A parameter: text or a number; a list is one line per element (a `--check` reports every problem). */
export type Param = string | number | readonly string[];
/** The parameters a template names, each required. */
export type Params<C extends TableCode, M extends MessageName<C>> = { readonly [K in Names<Template<C, M>>]: Param };

const PARAM = /%\{(\w+)\}/g;

/** The message of `code`'s template `name` with `params` put in. */
export function errorMessage<C extends TableCode, M extends MessageName<C>>(code: C, name: M, params: Params<C, M>): string {
  const template = (ERROR_TABLE[code].messages as Record<string, string>)[name]!;
  const values = params as Readonly<Record<string, Param>>;
  return template.replace(PARAM, (_, k: string) => {
    const v = values[k];
    return typeof v === "object" ? v.join("\n") : String(v);
  });
}

const kBrand = Symbol.for("grocketd.error");

export class GrocketdError extends Error {
  readonly code: ErrorCode;
  /** Further problems of the same run (a `--check` reports all of them, not only the first). */
  readonly problems: readonly string[];

  /** Made by grocketdError() from the table; directly only for an error rebuilt from another thread (errorFromWire). */
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

export interface ErrorOptions {
  readonly cause?: unknown;
  /**
   * The code of the failure this one reports, when that came from another thread or a lower layer with a code of its
   * own (a thread that could not listen starts-fails with GRK_ERR_LISTEN, not the generic GRK_ERR_THREAD_START).
   */
  readonly code?: ErrorCode;
}

/**
 * The error for `code` with the message of its template `name`. A `problems` parameter that is a list becomes the
 * error's `problems` (one line each), as `--check` prints them.
 */
export function grocketdError<C extends TableCode, M extends MessageName<C>>(code: C, name: M, params: Params<C, M>, options?: ErrorOptions): GrocketdError {
  const message = errorMessage(code, name, params);
  const listed = (params as Readonly<Record<string, Param>>).problems;
  return new GrocketdError(options?.code ?? code, message, {
    cause: options?.cause,
    problems: typeof listed === "object" ? listed : [message],
  });
}

export function isGrocketdError(err: unknown): err is GrocketdError {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[kBrand] === true;
}

/** A built-in error class a misuse error is an instance of. */
type ErrorClass<E extends Error> = new (message: string) => E;

/**
 * A misuse error for module code: an instance of the built-in class that fits (TypeError for a wrong type or value,
 * RangeError for a number out of range, Error for a call at the wrong time) with its `code` from the table, as
 * Node's own ERR_* errors carry one. `err.code` is what tests and modules check; the message names the call.
 */
export function misuse<E extends Error, C extends TableCode, M extends MessageName<C>>(
  Base: ErrorClass<E>, code: C, name: M, params: Params<C, M>,
): E & { readonly code: C } {
  const err = new Base(errorMessage(code, name, params)) as E & { code: C };
  err.code = code;
  return err;
}

/** The `code` an error carries (a GrocketdError, a misuse error, Node's ERR_* and E* errors), or undefined. */
export function codeOf(err: unknown): string | undefined {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
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

// Across threads (a ring record, postMessage of plain data) an error travels as JSON of its class name, code, message
// and stack, so the receiving thread logs what the handler thread threw and tests and modules still see its code.
interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
}

const BUILT_IN: Readonly<Record<string, ErrorClass<Error>>> = { TypeError, RangeError, SyntaxError, ReferenceError, Error };

/** `err` as text for another thread, at most `maxBytes` of UTF-8: without the stack, then with the message cut, to fit. */
export function errorToWire(err: unknown, maxBytes: number): string {
  const e = err instanceof Error ? err : undefined;
  const code = codeOf(err);
  const bare = { name: e?.name ?? "Error", ...(code === undefined ? {} : { code }) };
  let message = describeError(err);
  let text = JSON.stringify(e?.stack === undefined ? { ...bare, message } : { ...bare, message, stack: e.stack });
  if (Buffer.byteLength(text) <= maxBytes) return text;
  text = JSON.stringify({ ...bare, message });
  while (Buffer.byteLength(text) > maxBytes && message.length > 0) {
    message = message.slice(0, message.length >> 1);
    text = JSON.stringify({ ...bare, message });
  }
  return Buffer.byteLength(text) <= maxBytes ? text : '{"name":"Error","message":""}';
}

/** The error errorToWire() sent: the same built-in class (or a GrocketdError), code, message and remote stack. */
export function errorFromWire(text: string): Error {
  let w: Partial<WireError>;
  try {
    w = JSON.parse(text) as Partial<WireError>;
  } catch {
    return new Error(text);
  }
  const message = typeof w.message === "string" ? w.message : text;
  const code = typeof w.code === "string" ? w.code : undefined;
  let err: Error;
  if (w.name === "GrocketdError" && code?.startsWith("GRK_")) err = new GrocketdError(code as ErrorCode, message);
  else {
    err = new (BUILT_IN[w.name ?? "Error"] ?? Error)(message);
    if (typeof w.name === "string" && !(w.name in BUILT_IN)) err.name = w.name;
    if (code !== undefined) (err as { code?: string }).code = code;
  }
  if (typeof w.stack === "string") err.stack = w.stack;
  return err;
}
