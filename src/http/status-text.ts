/**
 * @module http/status-text
 * Reason phrases for the status line: node:http's full STATUS_CODES table (RFC 9110 §15 and the registered extras
 * such as 418 and 425), with the two phrases RFC 9110 renamed. The phrase is informative only (RFC 9112 §4:
 * "A client SHOULD ignore the reason-phrase content"), but clients and logs read better with the usual one.
 */
import { STATUS_CODES } from "node:http";

/** RFC 9110 §15.5.14 and §15.5.21 renamed these ("Payload Too Large", "Unprocessable Entity" before). */
const RFC_9110_NAMES: Readonly<Record<number, string>> = { 413: "Content Too Large", 422: "Unprocessable Content" };

export function statusText(code: number): string {
  return RFC_9110_NAMES[code] ?? STATUS_CODES[code] ?? "Unknown";
}

/**
 * RFC 9110 §6.4.1: "All 1xx (Informational), 204 (No Content), and 304 (Not Modified) responses do not include
 * content." These never carry content, whatever the handler says.
 */
export function statusHasNoBody(code: number): boolean {
  return code < 200 || code === 204 || code === 304;
}
