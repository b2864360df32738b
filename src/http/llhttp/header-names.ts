/**
 * @module http/llhttp/header-names
 * Byte-level helpers for header names: an ASCII lower-case table and the interned lower-case strings of common
 * field names, so `headerName(i)` returns a constant instead of decoding (names are case-insensitive,
 * RFC 9110 §5.1). Lookup is by length then bytes; no allocation.
 */

/** ASCII case fold for one byte: A-Z → a-z, every other byte unchanged. */
export const LOWER = new Uint8Array(256);
for (let i = 0; i < 256; i++) LOWER[i] = i >= 65 && i <= 90 ? i + 32 : i;

const COMMON_HEADER_NAMES: readonly string[] = [
  "host", "user-agent", "accept", "accept-encoding", "accept-language", "accept-charset", "connection",
  "keep-alive", "content-type", "content-length", "content-encoding", "transfer-encoding", "te", "trailer",
  "upgrade", "expect", "cookie", "authorization", "origin", "referer", "cache-control", "pragma", "date",
  "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range", "forwarded",
  "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "x-request-id", "via",
  "sec-websocket-key", "sec-websocket-version", "sec-websocket-protocol", "sec-websocket-extensions",
  "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest", "sec-fetch-user", "upgrade-insecure-requests", "dnt",
  "priority", "proxy-authorization",
];

interface Entry {
  readonly bytes: Uint8Array;
  readonly name: string;
}

/** Entries bucketed by name length. */
const BY_LEN: Entry[][] = [];
for (const name of COMMON_HEADER_NAMES) {
  const bytes = new Uint8Array(name.length);
  for (let k = 0; k < name.length; k++) bytes[k] = name.charCodeAt(k);
  (BY_LEN[name.length] ??= []).push({ bytes, name });
}

/** The interned lower-case name for `buf[start, end)` if it is a common name (any case), else undefined. */
export function internedName(buf: Uint8Array, start: number, end: number): string | undefined {
  const bucket = BY_LEN[end - start];
  if (bucket === undefined) return undefined;
  outer: for (let b = 0; b < bucket.length; b++) {
    const e = bucket[b]!;
    const want = e.bytes;
    for (let k = 0, j = start; j < end; k++, j++) {
      if (LOWER[buf[j]!] !== want[k]) continue outer;
    }
    return e.name;
  }
  return undefined;
}

/** Case-insensitive compare of `buf[start, end)` with an already lower-case ASCII `nameLower`, no decoding. */
export function nameEquals(buf: Uint8Array, start: number, end: number, nameLower: string): boolean {
  if (end - start !== nameLower.length) return false;
  for (let k = 0, j = start; j < end; k++, j++) {
    if (LOWER[buf[j]!] !== nameLower.charCodeAt(k)) return false;
  }
  return true;
}
