/**
 * @module http/request-target
 * Path, query and authority of a request-target in origin-form ("/a?b"), absolute-form ("http://h/a?b") or
 * asterisk-form ("*"), RFC 9112 §3.2. Shared by the inline request and the handler-pool request. The path a module
 * sees is decoded and has its dot segments removed, so "/%2e%2e/etc" cannot climb out of a directory a module maps
 * paths into; `req.url` keeps the target as sent.
 */

/**
 * The path, percent-decoded except for reserved characters (decodeURI), then without dot segments; "/" when the
 * target has none. Decoding comes first so that encoded dots ("%2e%2e") are removed like plain ones; an encoded
 * slash ("%2F") is reserved, stays encoded, and so never becomes a segment separator.
 */
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
  let path = url.slice(start, end);
  if (path.includes("%")) {
    try {
      path = decodeURI(path);
    } catch {
      // A malformed escape stays as sent; the handler can still look at req.url.
    }
  }
  return path.includes("/.") ? removeDotSegments(path) : path;
}

/**
 * RFC 3986 §5.2.4, "Remove Dot Segments", on a path:
 *   A. If the input buffer begins with a prefix of "../" or "./", then remove that prefix from the input buffer;
 *   B. if the input buffer begins with a prefix of "/./" or "/.", where "." is a complete path segment, then replace
 *      that prefix with "/" in the input buffer;
 *   C. if the input buffer begins with a prefix of "/../" or "/..", where ".." is a complete path segment, then
 *      replace that prefix with "/" in the input buffer and remove the last segment and its preceding "/" (if any)
 *      from the output buffer;
 *   D. if the input buffer consists only of "." or "..", then remove that from the input buffer;
 *   E. move the first path segment in the input buffer to the end of the output buffer, including the initial "/"
 *      character (if any) and any subsequent characters up to, but not including, the next "/".
 * Done segment by segment on a split of the path, which is the same algorithm without copying the buffers each step.
 */
export function removeDotSegments(path: string): string {
  const abs = path.charCodeAt(0) === 0x2f;
  const parts = (abs ? path.slice(1) : path).split("/");
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i]!;
    const last = i === parts.length - 1;
    if (seg === ".") {
      // B ("/./" → "/") and D; a trailing "/." leaves the directory's "/" (B with "/." → "/").
      if (last) out.push("");
    } else if (seg === "..") {
      // C: up one, never above the root; a trailing "/.." also leaves the "/".
      if (out.length > 0) out.pop();
      if (last) out.push("");
    } else out.push(seg); // E
  }
  return (abs ? "/" : "") + out.join("/");
}

/**
 * RFC 9112 §3.2.2: the authority of an absolute-form target ("http://host:port/..." → "host:port"), without any
 * userinfo; undefined for the other forms.
 */
export function targetAuthority(url: string): string | undefined {
  if (url.charCodeAt(0) === 0x2f || url === "*") return undefined;
  const scheme = url.indexOf("://");
  if (scheme <= 0) return undefined;
  const from = scheme + 3;
  let end = url.length;
  for (let i = from; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) {
      end = i;
      break;
    }
  }
  const at = url.lastIndexOf("@", end);
  return url.slice(at >= from ? at + 1 : from, end);
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
