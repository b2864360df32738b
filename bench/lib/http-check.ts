// Checking a server before it is measured: send `depth` raw GET requests in one write over one connection and verify
// every response is 200 with body "Hello, World!" and Content-Type text/plain. Also gives the response head as bytes
// on the wire, so the report can show what each server sends.

export const HELLO_BODY = "Hello, World!";

export interface RawResponse {
  status: number;
  /** Status line and header lines as received (latin1), without the blank line. */
  head: string;
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
  /** Bytes of head + blank line + body. */
  size: number;
}

export interface ParsedResponses {
  responses: RawResponse[];
  /** Bytes after the last whole response. */
  rest: number;
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

/**
 * Cuts whole responses with a Content-Length out of `bytes`. Stops at an incomplete one. Throws on a response it
 * cannot frame (no Content-Length, chunked) or a bad status line.
 */
export function parseResponses(bytes: Uint8Array): ParsedResponses {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const responses: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const end = buf.indexOf(CRLFCRLF, at);
    if (end < 0) break;
    const head = buf.toString("latin1", at, end);
    const lines = head.split("\r\n");
    const sl = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (!sl) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new Error(`bad header line: ${JSON.stringify(line)}`);
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (headers["transfer-encoding"]) throw new Error(`response is ${headers["transfer-encoding"]}, expected a Content-Length`);
    const len = Number(headers["content-length"]);
    if (headers["content-length"] === undefined || !Number.isInteger(len) || len < 0) {
      throw new Error(`response has no usable Content-Length:\n${head}`);
    }
    const bodyStart = end + 4;
    if (buf.length < bodyStart + len) break;
    responses.push({
      status: Number(sl[1]),
      head,
      headers,
      body: buf.toString("latin1", bodyStart, bodyStart + len),
      size: bodyStart + len - at,
    });
    at = bodyStart + len;
  }
  return { responses, rest: buf.length - at };
}

/** What is wrong with `r` as a hello response, or null. `requireType: false` for a server that sends no
 * Content-Type at all (the uWebSockets anchor's `res->end(...)`); a wrong one still counts. */
export function helloProblem(r: RawResponse, requireType = true): string | null {
  if (r.status !== 200) return `status ${r.status}, expected 200`;
  if (r.body !== HELLO_BODY) return `body ${JSON.stringify(r.body)}, expected ${JSON.stringify(HELLO_BODY)}`;
  const type = r.headers["content-type"];
  if (type === undefined && !requireType) return null;
  if (type === undefined || type.split(";")[0]!.trim().toLowerCase() !== "text/plain") {
    return `Content-Type ${JSON.stringify(type ?? null)}, expected text/plain`;
  }
  return null;
}

/** Sends `depth` GETs in one write, waits for `depth` responses (or `timeoutMs`), and verifies each; `tls`: over TLS
 * (any certificate: the bench's own is self-signed). */
export async function checkHello(port: number, depth = 1, timeoutMs = 3000, requireType = true, tls = false): Promise<RawResponse[]> {
  const request = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: */*\r\n\r\n`;
  const chunks: Buffer[] = [];
  let received = 0;
  let done: (err?: Error) => void = () => {};
  const finished = new Promise<void>((res, rej) => {
    done = (err) => (err ? rej(err) : res());
  });
  const wholeSoFar = (): number => parseResponses(Buffer.concat(chunks, received)).responses.length;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    ...(tls ? { tls: { rejectUnauthorized: false } } : {}),
    socket: {
      // Over TLS the requests go once the handshake is done (bytes written before it are not sent).
      handshake(s) {
        s.write(request.repeat(depth));
      },
      data(_s, chunk) {
        chunks.push(Buffer.from(chunk));
        received += chunk.length;
        try {
          if (wholeSoFar() >= depth) done();
        } catch (e) {
          done(e as Error);
        }
      },
      close() {
        done(new Error(`connection closed after ${received} bytes`));
      },
      error(_s, e) {
        done(e);
      },
    },
  });
  const timer = setTimeout(() => done(new Error(`no ${depth} whole responses within ${timeoutMs} ms (${received} bytes)`)), timeoutMs);
  try {
    if (!tls) socket.write(request.repeat(depth));
    await finished;
  } finally {
    clearTimeout(timer);
    socket.end();
  }
  const { responses, rest } = parseResponses(Buffer.concat(chunks, received));
  if (responses.length !== depth || rest !== 0) {
    throw new Error(`sent ${depth} requests, got ${responses.length} responses and ${rest} extra bytes`);
  }
  responses.forEach((r, i) => {
    const problem = helloProblem(r, requireType);
    if (problem) throw new Error(`response ${i + 1} of ${depth}: ${problem}\n${r.head}`);
  });
  return responses;
}
