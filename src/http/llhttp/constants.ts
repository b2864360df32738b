/**
 * @module http/llhttp/constants
 * Number tables of llhttp 9.3.0 as compiled into the pinned binary (errno, method, flags, llhttp_t field offsets),
 * plus the binding's own result codes. The errno and method tables are checked against the binary's
 * `llhttp_errno_name` / `llhttp_method_name` exports by test/http/llhttp-binding.test.ts; the struct offsets by
 * reading a parsed request back (the SHA-256 pin in wasm-loader.ts makes them fixed).
 */

/** llhttp_errno_t (llhttp 9.3.0 `llhttp.h`). */
export const HPE = {
  OK: 0,
  INTERNAL: 1,
  STRICT: 2,
  LF_EXPECTED: 3,
  UNEXPECTED_CONTENT_LENGTH: 4,
  CLOSED_CONNECTION: 5,
  INVALID_METHOD: 6,
  INVALID_URL: 7,
  INVALID_CONSTANT: 8,
  INVALID_VERSION: 9,
  INVALID_HEADER_TOKEN: 10,
  INVALID_CONTENT_LENGTH: 11,
  INVALID_CHUNK_SIZE: 12,
  INVALID_STATUS: 13,
  INVALID_EOF_STATE: 14,
  INVALID_TRANSFER_ENCODING: 15,
  CB_MESSAGE_BEGIN: 16,
  CB_HEADERS_COMPLETE: 17,
  CB_MESSAGE_COMPLETE: 18,
  CB_CHUNK_HEADER: 19,
  CB_CHUNK_COMPLETE: 20,
  PAUSED: 21,
  PAUSED_UPGRADE: 22,
  PAUSED_H2_UPGRADE: 23,
  USER: 24,
  CR_EXPECTED: 25,
  CB_URL_COMPLETE: 26,
  CB_STATUS_COMPLETE: 27,
  CB_HEADER_FIELD_COMPLETE: 28,
  CB_HEADER_VALUE_COMPLETE: 29,
  UNEXPECTED_SPACE: 30,
  CB_RESET: 31,
  CB_METHOD_COMPLETE: 32,
  CB_VERSION_COMPLETE: 33,
  CB_CHUNK_EXTENSION_NAME_COMPLETE: 34,
  CB_CHUNK_EXTENSION_VALUE_COMPLETE: 35,
  CB_PROTOCOL_COMPLETE: 38,
} as const;

/**
 * What `execute()` / `finish()` return. Non-negative values are llhttp errnos passed through (0 = OK;
 * 21/22/23 = paused, not errors); negative values are the binding's own stops, so the server can answer
 * 414 / 431 / 500 without looking at llhttp's reason strings.
 */
export const ParseResult = {
  Ok: 0,
  /** A callback returned 21 (`HPE_PAUSED`); call `resume()` and feed the rest from `errorOffset()`. */
  Paused: 21,
  /** Upgrade or CONNECT request complete; the bytes from `errorOffset()` on belong to the new protocol. */
  PausedUpgrade: 22,
  /** `PRI * HTTP/2.0` preface (RFC 9113 §3.4); the binding reports it, the server closes. */
  PausedH2Upgrade: 23,
  /** The request-target is longer than `maxUrlBytes` → 414 (RFC 9112 §3). */
  UrlTooLong: -414,
  /** The request head (or trailer section) is larger than `maxHeadBytes` → 431 (RFC 6585 §5). */
  HeadTooLarge: -431,
  /** More header (or trailer) fields than `maxHeaders` → 431. */
  TooManyHeaders: -432,
  /** An `ParserEvents` callback threw; the thrown value is in `callbackError`. */
  CallbackThrew: -500,
} as const;

export type ParseResultCode = (typeof ParseResult)[keyof typeof ParseResult];

const BINDING_NAMES: Readonly<Record<number, string>> = {
  [ParseResult.UrlTooLong]: "GRK_URL_TOO_LONG",
  [ParseResult.HeadTooLarge]: "GRK_HEAD_TOO_LARGE",
  [ParseResult.TooManyHeaders]: "GRK_TOO_MANY_HEADERS",
  [ParseResult.CallbackThrew]: "GRK_CALLBACK_THREW",
};

const BINDING_REASONS: Readonly<Record<number, string>> = {
  [ParseResult.UrlTooLong]: "Request-target longer than the configured limit",
  [ParseResult.HeadTooLarge]: "Request head larger than the configured limit",
  [ParseResult.TooManyHeaders]: "More header fields than the configured limit",
  [ParseResult.CallbackThrew]: "A parser callback threw",
};

const HPE_NAMES: string[] = [];
for (const [k, v] of Object.entries(HPE)) HPE_NAMES[v] = `HPE_${k}`;

/** `HPE_*` for llhttp errnos, `GRK_*` for the binding's negative codes. */
export function parseResultName(code: number): string {
  return code < 0 ? (BINDING_NAMES[code] ?? `GRK_UNKNOWN_${code}`) : (HPE_NAMES[code] ?? `HPE_UNKNOWN_${code}`);
}

/** Fixed reason text for the binding's own codes (llhttp's reasons come from the parser). */
export function bindingReason(code: number): string {
  return BINDING_REASONS[code] ?? "Unknown parser result";
}

/** llhttp_method_t → name, index = llhttp's enum value (interned: the same string object every time). */
export const METHOD_NAMES: readonly string[] = [
  "DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE", "COPY", "LOCK", "MKCOL", "MOVE",
  "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY",
  "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PATCH", "PURGE", "MKCALENDAR", "LINK",
  "UNLINK", "SOURCE", "PRI", "DESCRIBE", "ANNOUNCE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER",
  "SET_PARAMETER", "REDIRECT", "RECORD", "FLUSH", "QUERY",
];

/** llhttp_method_t values the server layer branches on. */
export const Method = {
  DELETE: 0, GET: 1, HEAD: 2, POST: 3, PUT: 4, CONNECT: 5, OPTIONS: 6, TRACE: 7, PATCH: 28, PRI: 34, QUERY: 46,
} as const;

/** llhttp_type_t: `llhttp_alloc` takes the number (the llhttp-wasm wrapper's `TYPE[type]` lookup gives 0 = BOTH). */
export const LLHTTP_TYPE_REQUEST = 1;

/** llhttp_flags (llhttp_t.flags, u16). */
export const F = {
  CONNECTION_KEEP_ALIVE: 1 << 0,
  CONNECTION_CLOSE: 1 << 1,
  CONNECTION_UPGRADE: 1 << 2,
  CHUNKED: 1 << 3,
  UPGRADE: 1 << 4,
  CONTENT_LENGTH: 1 << 5,
  SKIPBODY: 1 << 6,
  TRAILING: 1 << 7,
  TRANSFER_ENCODING: 1 << 9,
} as const;

/**
 * Byte offsets of llhttp_t fields in wasm32 (`struct llhttp__internal_s`): no getter is exported for
 * `content_length` or `flags`, so they are read from memory.
 */
export const LLHTTP_T = {
  CONTENT_LENGTH: 32, // uint64_t, 8-aligned
  TYPE: 40,
  METHOD: 41,
  HTTP_MAJOR: 42,
  HTTP_MINOR: 43,
  UPGRADE: 48,
  FLAGS: 50, // uint16_t
} as const;
