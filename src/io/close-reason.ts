/**
 * @module io/close-reason
 * Why a connection closed (the access log's `reason`; access-log-format.ts), kept as a 4-bit index in the
 * connection's flags word (stream-connection.ts), not as a field: every field is memory of every connection (issue 17).
 */

const CLOSE_REASONS = [
  "", "peer", "module", "bad_data", "handler_error", "idle_timeout", "draining", "drain_timeout", "refused", "handler_lost",
  "tls_handshake_timeout", "slow_consumer", "terminated",
] as const;
export type CloseReason = Exclude<(typeof CLOSE_REASONS)[number], "">;

/** The reason's index sits in flags bits 24..27, above every F_* bit (subclasses use F_SUBCLASS up to bit 23). */
const REASON_SHIFT = 24;
const REASON_MASK = 0xf << REASON_SHIFT;

/** The reason recorded in `flags`; "" = not closing yet. */
export function reasonIn(flags: number): string {
  return CLOSE_REASONS[(flags & REASON_MASK) >>> REASON_SHIFT]!;
}

/** `flags` with `reason` recorded, unless a cause is already there (first cause wins). */
export function withReason(flags: number, reason: CloseReason): number {
  return (flags & REASON_MASK) === 0 ? flags | (CLOSE_REASONS.indexOf(reason) << REASON_SHIFT) : flags;
}

/** Access log close reasons for the free-text reasons terminate() is given. */
const TERMINATE_REASON: Record<string, CloseReason> = {
  "drain time over": "drain_timeout",
  "idle with unread output": "idle_timeout",
  "refused by accept": "refused",
  "handler failed mid-response": "handler_error",
  "handler thread died mid-response": "handler_lost",
  "TLS handshake not finished in time": "tls_handshake_timeout", // io/tls-handshake.ts
};

export function terminateReason(text: string): CloseReason {
  return TERMINATE_REASON[text] ?? "terminated";
}
