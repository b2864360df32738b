/**
 * @module http/header-check
 * Validation of response header fields set by modules, once per call, so a value taken from a request can never
 * split a response (CR/LF injection). RFC 9110 §5.1 (name = token) and §5.5 (value: no CR, LF or NUL).
 */
import { misuse } from "../errors.ts";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Visible ASCII, SP, HTAB and obs-text; everything else (CR, LF, NUL, other controls) is refused.
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function checkHeader(name: string, value: string): void {
  if (!TOKEN.test(name)) throw misuse(TypeError, "GRK_ERR_RESPONSE_VALUE", "headerName", { name: JSON.stringify(name) });
  if (!VALUE.test(value)) throw misuse(TypeError, "GRK_ERR_RESPONSE_VALUE", "headerValue", { name });
}
