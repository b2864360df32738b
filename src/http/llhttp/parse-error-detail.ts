/**
 * @module http/llhttp/parse-error-detail
 * What a failed parse can tell beyond its result code, read from the thread's WASM memory after execute()
 * returned: llhttp's reason text, the byte it stopped at, and the request-line token around that byte. Used for
 * error answers and logs (RequestParser's errorReason/errorByte/errorToken in parser.ts), never while parsing, so it
 * lives apart from the parsing code.
 */
import { bindingReason } from "./constants.ts";
import type { WasmRuntime } from "./wasm-runtime.ts";

/** llhttp's reason for `code` on the parser at `ptr` (0: freed), or the binding's own for a negative code. */
export function errorReasonOf(wasm: WasmRuntime, ptr: number, code: number): string {
  if (code === 0) return "";
  if (code < 0 || ptr === 0) return bindingReason(code);
  const p = wasm.exp.llhttp_get_error_reason(ptr);
  return p === 0 ? "" : wasm.mem.latin1Slice(p, wasm.mem.indexOf(0, p));
}

/** The byte at `at` in WASM memory; -1 when `at` is unknown (< 0) or at/after `end`, the end of the data fed. */
export function errorByteAt(wasm: WasmRuntime, at: number, end: number): number {
  return at < 0 || at >= end ? -1 : wasm.mem[at]!;
}

/**
 * The token (up to a space or line end, latin1, at most 64 bytes) around `at` in WASM memory, not
 * before the input buffer nor past `end`; "" when `at` is unknown (< 0). See RequestParser.errorToken.
 */
export function errorTokenAt(wasm: WasmRuntime, at: number, end: number): string {
  if (at < 0) return "";
  const m = wasm.mem;
  let from = at;
  while (from > wasm.inPtr && at - from < 64 && !isDelim(m[from - 1]!)) from--;
  let to = at;
  while (to < end && to - from < 64 && !isDelim(m[to]!)) to++;
  return m.latin1Slice(from, to);
}

/** SP, HTAB, CR, LF: where a request-line token ends. */
function isDelim(b: number): boolean {
  return b === 0x20 || b === 0x0d || b === 0x0a || b === 0x09;
}
