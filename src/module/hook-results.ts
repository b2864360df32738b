/**
 * @module module/hook-results
 * What a module hook may return, decided in one place for every transport (TCP, TLS, UDP, the handler pool; binary
 * over HTTP should use it too), with one wording for the log line when it is anything else:
 * - `check`: a length, i.e. an integer: 0 = need more, a positive one = the packet's length (or what it will be), a
 *   negative one = bad data as the module reports it. -0 counts as 0. Anything else — 1.5, NaN, Infinity, the
 *   string "4", an object — is bad data too (a fractional length would cut the stream between bytes).
 * - `proc` and `draining`: a reply, i.e. a Uint8Array, a string, nothing (undefined or null), or a Promise of one
 *   of those. Anything else is the module's error.
 * The checks are written for the hot path: a typeof and an integer test, no allocation unless a value is refused.
 */
import { errorMessage, misuse } from "../errors.ts";

/** No reply (undefined or null). */
export const REPLY_NONE = 0;
/** A Uint8Array (a Buffer included). */
export const REPLY_BYTES = 1;
/** A string, sent as UTF-8. */
export const REPLY_TEXT = 2;
/** A Promise (any thenable): the reply comes when it settles. */
export const REPLY_LATER = 3;
/** Anything else: the module's error. */
export const REPLY_BAD = 4;

/** Which kind of reply `v` is (REPLY_*). */
export function replyKind(v: unknown): number {
  if (v === undefined || v === null) return REPLY_NONE;
  if (v instanceof Uint8Array) return REPLY_BYTES;
  if (typeof v === "string") return REPLY_TEXT;
  if ((typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function") return REPLY_LATER;
  return REPLY_BAD;
}

/** Which kind of value a settled Promise of a reply gave: REPLY_NONE, REPLY_BYTES, REPLY_TEXT or REPLY_BAD. */
export function settledReplyKind(v: unknown): number {
  const k = replyKind(v);
  return k === REPLY_LATER ? REPLY_BAD : k;
}

/** True when `n`, a result of `check`, is a length (an integer; a negative one is the module reporting bad data). */
export function isLength(n: unknown): n is number {
  return typeof n === "number" && ((n | 0) === n || Number.isSafeInteger(n));
}

/** A value as a log line shows it: its type, and the value itself when it is short. */
function describeValue(v: unknown): string {
  if (v === null) return "null";
  const t = typeof v;
  if (t === "number" || t === "bigint" || t === "boolean") return `a ${t} (${String(v)})`;
  if (t === "string") {
    const s = v as string;
    return `a string (${JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)})`;
  }
  if (t === "undefined") return "undefined";
  if (t === "symbol") return "a symbol";
  if (t === "function") return "a function";
  if (Array.isArray(v)) return "an array";
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" && name !== "Object" ? `an object (${name})` : "an object";
}

/** The log line for a `check` result that is not a length. */
export function badLengthMessage(n: unknown): string {
  return `check returned ${describeValue(n)}, not a whole number of bytes (bad data)`;
}

/** The log line for a reply of the wrong type; `settled`: the value a Promise resolved to. */
export function badReplyMessage(hook: string, v: unknown, settled = false): string {
  return errorMessage("GRK_ERR_PROC_RESULT", settled ? "resolved" : "returned", { hook, got: describeValue(v) });
}

/** The error for a reply of the wrong type (a TypeError with GRK_ERR_PROC_RESULT), where one is thrown or sent on. */
export function badReply(hook: string, v: unknown, settled = false): TypeError {
  return misuse(TypeError, "GRK_ERR_PROC_RESULT", settled ? "resolved" : "returned", { hook, got: describeValue(v) });
}

/** The byte length of a reply (REPLY_BYTES or REPLY_TEXT; UTF-8 for strings), for bounds and datagram sizes. */
export function replyBytes(v: Uint8Array | string): number {
  return typeof v === "string" ? Buffer.byteLength(v, "utf8") : v.length;
}
