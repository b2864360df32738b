/**
 * @module ring/ring-errors
 * The ring queue's failures: its codes and messages are in the one table (src/error-table.ts); `RingError` extends
 * the runtime's branded `GrocketdError`, so `isGrocketdError(err)` holds across workers and `err.code` is what
 * callers and tests match on.
 */
import { GrocketdError, errorMessage, type MessageName, type Params, type TableCode } from "../errors.ts";

export type RingErrorCode = Extract<TableCode, `GRK_ERR_RING_${string}`>;

export class RingError extends GrocketdError {
  declare readonly code: RingErrorCode;

  constructor(code: RingErrorCode, message: string) {
    super(code, message);
    this.name = "RingError";
  }
}

/** The RingError for `code` with the message of its template `name`. */
export function ringError<C extends RingErrorCode, M extends MessageName<C>>(code: C, name: M, params: Params<C, M>): RingError {
  return new RingError(code, errorMessage(code, name, params));
}

export function recordTooLarge(len: number, limit: number, capacity: number): RingError {
  return ringError("GRK_ERR_RING_RECORD_TOO_LARGE", "record", { len, limit, capacity, header: capacity - limit });
}
