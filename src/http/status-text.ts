/**
 * @module http/status-text
 * Reason phrases for the status line: node:http's full STATUS_CODES table (RFC 9110 §15 and the registered extras
 * such as 418 and 425), with the two phrases RFC 9110 renamed. The phrase is informative only (RFC 9112 §4:
 * "A client SHOULD ignore the reason-phrase content"), but clients and logs read better with the usual one.
 * The table is written out rather than imported: importing node:http costs every thread several milliseconds of
 * start-up (it loads Bun's whole node:http, streams and agents included) for 60 strings;
 * test/http/status-text.test.ts checks it against node:http's.
 */

/** node:http STATUS_CODES of Bun 1.4.4. */
const STATUS_CODES: Readonly<Record<number, string>> = {
  100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints", 200: "OK", 201: "Created",
  202: "Accepted", 203: "Non-Authoritative Information", 204: "No Content", 205: "Reset Content",
  206: "Partial Content", 207: "Multi-Status", 208: "Already Reported", 226: "IM Used", 300: "Multiple Choices",
  301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified", 305: "Use Proxy",
  307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
  402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
  407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone", 411: "Length Required",
  412: "Precondition Failed", 413: "Payload Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
  416: "Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a Teapot", 421: "Misdirected Request",
  422: "Unprocessable Entity", 423: "Locked", 424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required",
  428: "Precondition Required", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons", 500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
  503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
  506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected", 509: "Bandwidth Limit Exceeded",
  510: "Not Extended", 511: "Network Authentication Required",
};

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
