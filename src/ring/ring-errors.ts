/**
 * @module ring/ring-errors
 * The ring queue's failures, each with a stable `code`. They extend the runtime's branded `GrocketdError`, so
 * `isGrocketdError(err)` holds across workers and `err.code` is what callers and tests match on.
 */
import { GrocketdError } from "../errors.ts";

export const RingErrorCodes = {
  /** A record is larger than the ring can ever hold (capacity minus the record header). */
  RECORD_TOO_LARGE: "GRK_ERR_RING_RECORD_TOO_LARGE",
  /** The requested capacity is not a whole number in the supported range. */
  BAD_CAPACITY: "GRK_ERR_RING_BAD_CAPACITY",
  /** The SharedArrayBuffer is not a ring of this layout version (wrong size, magic or version). */
  BAD_LAYOUT: "GRK_ERR_RING_BAD_LAYOUT",
  /** An offset/length pair does not lie inside the source array, or is not a whole number. */
  BAD_RANGE: "GRK_ERR_RING_BAD_RANGE",
  /** `commit()` without a matching `reserve()`, or committing more than was reserved. */
  NO_RESERVATION: "GRK_ERR_RING_NO_RESERVATION",
} as const;

export type RingErrorCode = (typeof RingErrorCodes)[keyof typeof RingErrorCodes];

export class RingError extends GrocketdError {
  declare readonly code: RingErrorCode;

  constructor(code: RingErrorCode, message: string) {
    super(code, message);
    this.name = "RingError";
  }
}

export function recordTooLarge(len: number, limit: number, capacity: number): RingError {
  return new RingError(
    RingErrorCodes.RECORD_TOO_LARGE,
    `ring record of ${len} bytes exceeds the limit of ${limit} bytes ` +
      `(ring capacity ${capacity} bytes minus ${capacity - limit} header bytes); use a larger ring or split the record`,
  );
}
