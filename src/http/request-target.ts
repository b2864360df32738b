/**
 * @module http/request-target
 * Path and query of a request-target in origin-form ("/a?b"), absolute-form ("http://h/a?b") or asterisk-form ("*"),
 * RFC 9112 §3.2. Shared by the inline request and the handler-pool request.
 */

/** The path, percent-decoded except for reserved characters (decodeURI), "/" when the target has none. */
export function targetPath(url: string): string {
  let start = 0;
  if (url.charCodeAt(0) !== 0x2f /* / */ && url !== "*") {
    const scheme = url.indexOf("://");
    if (scheme > 0) {
      const slash = url.indexOf("/", scheme + 3);
      const q = url.indexOf("?", scheme + 3);
      if (slash < 0 || (q >= 0 && q < slash)) return "/";
      start = slash;
    }
  }
  let end = url.indexOf("?", start);
  if (end < 0) end = url.length;
  const hash = url.indexOf("#", start);
  if (hash >= 0 && hash < end) end = hash;
  const path = url.slice(start, end);
  if (!path.includes("%")) return path;
  try {
    return decodeURI(path);
  } catch {
    // A malformed escape stays as sent; the handler can still look at req.url.
    return path;
  }
}

/** The query string (without "?" and fragment), decoded by URLSearchParams. */
export function targetQuery(url: string): URLSearchParams {
  const q = url.indexOf("?");
  if (q < 0) return new URLSearchParams();
  let qs = url.slice(q + 1);
  const hash = qs.indexOf("#");
  if (hash >= 0) qs = qs.slice(0, hash);
  return new URLSearchParams(qs);
}
