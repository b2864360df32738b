/**
 * @module http/fetch-bridge
 * The web-standard side of HTTP: the `fetch(request, conn)` hook and the `error(err, req)` hook, run on top of the
 * runtime's own `req`/`res`, so the I/O threads (http-dispatch.ts) and the handler threads (pool/serve-http.ts) run
 * them through this one file and answer alike.
 *
 * Request: a `Request` with an absolute URL (scheme, the `Host` header, the request-target) and the headers as
 * received. On the I/O threads a request with a body gets it as a stream fed as the bytes arrive (body-stream.ts,
 * dispatched by http-connection.ts at the end of the head); in pool mode it is the whole body, collected before the
 * hook runs (the request crosses to the handler thread as one record).
 * Response: status and header fields through `res` (framing and Date fields are the runtime's; `Connection: close`
 * asks to close). The body is read from `response.body`: when it ends right after its first chunk (every string,
 * bytes, Blob or JSON body of up to 16 KiB: Bun reads bodies out in 16 KiB chunks, so larger ones take the chunked
 * path) it is sent whole with Content-Length; otherwise it is written chunked as it comes, waiting
 * for `res.drained()` whenever the connection's output is past its high-water mark, so a slow client slows the
 * stream rather than filling memory. A stream whose first chunk is ready at once waits for its second chunk (or its
 * end) before anything is sent; one that starts later is sent chunk by chunk from the first. When the client goes
 * away, the stream is cancelled at its next chunk.
 */
import type { ModuleDefinition } from "../module/types.ts";
import type { HttpRequest, HttpResponse } from "../module/http-types.ts";

/** The response the bridge writes to: the runtime's, which can also forget a failed handler's fields. */
export type BridgeResponse = HttpResponse & { clearHead(): void };

/** Response fields not copied as they are: framing and Date are the runtime's; Set-Cookie is copied one by one. */
const NOT_COPIED = new Set(["content-length", "transfer-encoding", "date", "keep-alive", "set-cookie"]);
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The request as a web `Request`. */
export function toWebRequest(req: HttpRequest<unknown>, scheme: string, stream: ReadableStream<Uint8Array> | null = null): Request {
  const headers = new Headers();
  for (const [k, v] of req.headers.entries()) headers.append(k, v);
  const url = req.url;
  const host = req.host !== "" ? req.host : `localhost:${req.conn.localPort}`;
  // origin-form "/a?b" (almost always), absolute-form "http://h/a" (proxies), or asterisk-form "*" (OPTIONS).
  const full = url.charCodeAt(0) === 47 ? `${scheme}://${host}${url}` : ABSOLUTE.test(url) ? url : `${scheme}://${host}/`;
  const method = req.method;
  const init: RequestInit = { method, headers };
  if (stream !== null) {
    init.body = stream;
    (init as { duplex?: string }).duplex = "half";
  } else if (method !== "GET" && method !== "HEAD" && req.body.length > 0) init.body = req.body;
  return new Request(full, init);
}

function chunkBytes(v: unknown): string | Uint8Array {
  if (v instanceof Uint8Array || typeof v === "string") return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError(`a Response body stream gave ${v === null ? "null" : typeof v}, not bytes`);
}

/** Writes a web `Response` to `res`; resolves once it is finished (or the client is gone and the stream cancelled). */
export async function writeWebResponse(r: unknown, res: HttpResponse, gone: () => boolean): Promise<void> {
  if (!(r instanceof Response)) {
    throw new TypeError(`the fetch hook must return a Response, got ${r === null ? "null" : typeof r === "object" ? (r.constructor?.name ?? "an object") : typeof r}`);
  }
  res.status(r.status);
  r.headers.forEach((value, name) => {
    if (!NOT_COPIED.has(name)) res.header(name, value);
  });
  // Each Set-Cookie stays its own field (joining them with ", " would break cookies with an Expires date).
  for (const c of r.headers.getSetCookie()) res.header("Set-Cookie", c);
  const body = r.body;
  if (body === null) return res.send();
  const reader = body.getReader();
  try {
    const p1 = reader.read();
    const ready = Bun.peek(p1) !== p1;
    let next = await p1;
    if (next.done) return res.send();
    if (ready) {
      // A body that was there at once (string, bytes, Blob): one chunk, then the end. Sent whole, with its length.
      const first = next.value;
      next = await reader.read();
      if (next.done) {
        // A string body's type is implicit in a Response (its headers do not show it): as Bun.serve does, a whole
        // body without a Content-Type goes out as UTF-8 text rather than the runtime's default for bytes.
        if (!r.headers.has("content-type")) res.header("Content-Type", "text/plain;charset=utf-8");
        return res.send(chunkBytes(first));
      }
      if (!res.write(chunkBytes(first))) await res.drained();
    }
    while (!next.done) {
      if (gone()) {
        // Nobody reads on: stop the source. end() still closes the response, which is what lets the runtime run the
        // connection's close hook (it waits for the response in progress).
        await reader.cancel("client gone").catch(() => {});
        break;
      }
      if (!res.write(chunkBytes(next.value))) await res.drained();
      next = await reader.read();
    }
    res.end();
  } finally {
    reader.releaseLock();
  }
}

/** Runs the module's `fetch` hook for one request and writes its answer; rejects when the hook fails. */
export async function runFetchHook(def: ModuleDefinition<unknown>, req: HttpRequest<unknown>, res: HttpResponse, scheme: string, gone: () => boolean, stream: ReadableStream<Uint8Array> | null = null): Promise<void> {
  const answer = await def.fetch!(toWebRequest(req, scheme, stream), req.conn as never);
  await writeWebResponse(answer, res, gone);
}

/**
 * The `error` hook's answer to a failed request, written to `res` (whose fields the failed handler may have set are
 * dropped first). Rejects when the hook throws or answers something else; the caller then sends the plain 500.
 */
export async function answerWithErrorHook(def: ModuleDefinition<unknown>, err: unknown, req: HttpRequest<unknown>, res: BridgeResponse, gone: () => boolean): Promise<void> {
  const v = await def.error!(err, req as never);
  res.clearHead();
  if (v instanceof Response) return writeWebResponse(v, res, gone);
  if (typeof v !== "string" && !(v instanceof Uint8Array)) throw new TypeError("the error hook must return a Response, a string or bytes");
  res.status(500);
  res.send(v);
}
