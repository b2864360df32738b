/**
 * @module http/llhttp/llhttp-errors
 * Failures of the llhttp binding that are programming or installation errors (thrown), each with a stable `code`
 * from the one error table (src/error-table.ts).
 * Parse errors of the byte stream are NOT thrown: `RequestParser.execute` returns them as numbers (hot path).
 */
import { GrocketdError, errorMessage, type MessageName, type Params, type TableCode } from "../../errors.ts";

export type LlhttpErrorCode = Extract<TableCode, `GRK_ERR_LLHTTP_${string}`>;

export class LlhttpError extends GrocketdError {
  declare readonly code: LlhttpErrorCode;

  constructor(code: LlhttpErrorCode, message: string, options?: { cause?: unknown; problems?: readonly string[] }) {
    super(code, message, options);
    this.name = "LlhttpError";
  }
}

/** The LlhttpError for `code` with the message of its template `name` (codes and messages: src/error-table.ts). */
export function llhttpError<C extends LlhttpErrorCode, M extends MessageName<C>>(
  code: C, name: M, params: Params<C, M>, options?: { cause?: unknown; problems?: readonly string[] },
): LlhttpError {
  return new LlhttpError(code, errorMessage(code, name, params), options);
}
