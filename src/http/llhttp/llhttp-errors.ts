/**
 * @module http/llhttp/llhttp-errors
 * Failures of the llhttp binding that are programming or installation errors (thrown), each with a stable `code`.
 * Parse errors of the byte stream are NOT thrown: `RequestParser.execute` returns them as numbers (hot path).
 */
import { GrocketdError } from "../../errors.ts";

export const LlhttpErrorCodes = {
  /** The installed `llhttp-wasm` binary is not the pinned one (hash, imports or exports differ) or cannot be read. */
  BINARY: "GRK_ERR_LLHTTP_BINARY",
  /** `execute`/`finish` was called from inside a parser callback (llhttp is not re-entrant; one shared input buffer). */
  REENTRANT: "GRK_ERR_LLHTTP_REENTRANT",
  /** A method was called on a parser after `destroy()`. */
  DESTROYED: "GRK_ERR_LLHTTP_DESTROYED",
  /** `malloc` inside the WASM instance returned NULL (WASM memory could not grow). */
  ALLOC: "GRK_ERR_LLHTTP_ALLOC",
  /** Parser limits are not positive whole numbers. */
  BAD_LIMITS: "GRK_ERR_LLHTTP_BAD_LIMITS",
} as const;

export type LlhttpErrorCode = (typeof LlhttpErrorCodes)[keyof typeof LlhttpErrorCodes];

export class LlhttpError extends GrocketdError {
  declare readonly code: LlhttpErrorCode;

  constructor(code: LlhttpErrorCode, message: string, options?: { cause?: unknown; problems?: readonly string[] }) {
    super(code, message, options);
    this.name = "LlhttpError";
  }
}
