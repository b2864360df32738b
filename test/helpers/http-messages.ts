// A strict little HTTP/1.1 response reader for tests: splits a byte stream into responses (status line, headers,
// Content-Length or chunked body, HEAD-aware), so tests can compare exactly what the server sent.

export interface ParsedResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** Header lines in order, as sent (for checks of order and exact spelling). */
  raw: string;
  body: Uint8Array;
  text: string;
}

const dec = new TextDecoder();

/**
 * Parses as many complete responses as `buf` holds. `headRequests[i]` says whether the i-th response answers a
 * HEAD (no body whatever the headers say).
 */
export function parseResponses(buf: Uint8Array, headRequests: boolean[] = []): { responses: ParsedResponse[]; rest: number } {
  const out: ParsedResponse[] = [];
  let off = 0;
  for (;;) {
    const end = indexOf(buf, "\r\n\r\n", off);
    if (end < 0) break;
    const head = dec.decode(buf.subarray(off, end));
    const lines = head.split("\r\n");
    const m = /^HTTP\/1\.1 (\d{3}) ?(.*)$/.exec(lines[0]!);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const status = Number(m[1]);
    let p = end + 4;
    let body: Uint8Array = new Uint8Array(0);
    const isHead = headRequests[out.length] === true;
    if (status === 100) {
      out.push({ status, reason: m[2]!, headers, raw: head, body, text: "" });
      off = p;
      continue;
    }
    if (!isHead && status !== 204 && status !== 304) {
      if (headers["transfer-encoding"] === "chunked") {
        const parts: Uint8Array[] = [];
        for (;;) {
          const le = indexOf(buf, "\r\n", p);
          if (le < 0) return { responses: out, rest: off };
          const size = parseInt(dec.decode(buf.subarray(p, le)), 16);
          if (buf.length < le + 2 + size + 2) return { responses: out, rest: off };
          if (size === 0) {
            const te = indexOf(buf, "\r\n", le + 2);
            if (te < 0) return { responses: out, rest: off };
            p = te + 2;
            break;
          }
          parts.push(buf.subarray(le + 2, le + 2 + size));
          p = le + 2 + size + 2;
        }
        body = concatAll(parts);
      } else if (headers["content-length"] !== undefined) {
        const n = Number(headers["content-length"]);
        if (buf.length < p + n) break;
        body = buf.slice(p, p + n);
        p += n;
      } else {
        body = buf.slice(p); // close-delimited
        p = buf.length;
      }
    }
    out.push({ status, reason: m[2]!, headers, raw: head, body, text: dec.decode(body) });
    off = p;
  }
  return { responses: out, rest: off };
}

function indexOf(buf: Uint8Array, s: string, from: number): number {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.length).indexOf(s, from, "latin1");
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Drops the Date header so responses from different seconds compare equal. */
export function withoutDate(raw: string): string {
  return raw.replace(/\r\nDate: [^\r]*/g, "");
}
