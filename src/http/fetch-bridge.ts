/**
 * @module http/fetch-bridge
 * The web-standard side of HTTP: the `fetch(request, conn)` hook and the `error(err, req)` hook, run on top of the
 * runtime's own `req`/`res`, so the I/O threads (http-dispatch.ts) and the handler threads (pool/serve-http.ts) run
 * them through this one file and answer alike.
 *
 * Request: a `Request` with an absolute URL (scheme, the `Host` header, the request-target) and the headers as
 * received. A request with a body gets it as a stream fed as the bytes arrive (body-stream.ts, dispatched by
 * http-connection.ts at the end of the head), on the I/O threads and, fed by BODY records, on the handler threads
 * (pool/pool-body.ts).
 * Response: status and header fields through `res` (framing and Date fields are the runtime's; `Connection: close`
 * asks to close). The body is read from `response.body`: when it ends right after its first chunk (every string,
 * bytes, Blob or JSON body of up to 16 KiB: Bun reads bodies out in 16 KiB chunks, so larger ones take the chunked
 * path) it is sent whole with Content-Length; otherwise it is written chunked as it comes, waiting
 * for `res.drained()` whenever the connection's output is past its high-water mark, so a slow client slows the
 * stream rather than filling memory. A stream whose first chunk is ready at once waits for its second chunk (or its
 * end) before anything is sent; one that starts later is sent chunk by chunk from the first. When the client goes
 * away, the stream is cancelled at its next chunk.
 * Cost (bench/micro/fetch-bridge.bench.ts): reads that are settled already are taken with Bun.peek instead of an
 * await, a hook that returns a Response (not a Promise) is not wrapped in one, and nothing is done that only frees
 * the reader (releaseLock) or looks for Set-Cookie fields that are not there. The body methods (`bytes()`, which Bun
 * resolves at once for a body held in memory) would be cheaper still, but they cannot be asked first: on a stream
 * they take the whole stream, and nothing in Bun 1.4 tells a Response made from a stream from one made from bytes
 * without reading it.
 */
import { misuse } from "../errors.ts";
import type { ModuleDefinition } from "../module/types.ts";
import type { HttpRequest, HttpResponse } from "../module/http-types.ts";

/** The response the bridge writes to: the runtime's, which can also forget a failed handler's fields. */
export type BridgeResponse = HttpResponse & { clearHead(): void };

/** Response fields not copied as they are: framing and Date are the runtime's; Set-Cookie is copied one by one. */
const NOT_COPIED = new Set(["content-length", "transfer-encoding", "date", "keep-alive", "set-cookie"]);
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The request as a web `Request`. Built with no init for a GET (an init object, even `{ method: "GET" }`, costs Bun
 * more than the rest of the Request), and its fields appended to the Request's own headers rather than copied in from
 * a Headers of ours (bench/micro/fetch-bridge.bench.ts measures both).
 */
function toWebRequest(req: HttpRequest<unknown>, scheme: string, stream: ReadableStream<Uint8Array> | null = null): Request {
  const url = req.url;
  const host = req.host !== "" ? req.host : `localhost:${req.conn.localPort}`;
  // origin-form "/a?b" (almost always), absolute-form "http://h/a" (proxies), or asterisk-form "*" (OPTIONS).
  const full = url.charCodeAt(0) === 47 ? `${scheme}://${host}${url}` : ABSOLUTE.test(url) ? url : `${scheme}://${host}/`;
  const method = req.method;
  let request: Request;
  if (stream !== null) request = new Request(full, { method, body: stream, duplex: "half" } as RequestInit);
  else if (method !== "GET" && method !== "HEAD" && req.body.length > 0) request = new Request(full, { method, body: req.body });
  else request = method === "GET" ? new Request(full) : new Request(full, { method });
  const headers = request.headers;
  for (const [k, v] of req.headers.entries()) headers.append(k, v);
  return request;
}

function chunkBytes(v: unknown): string | Uint8Array {
  if (v instanceof Uint8Array || typeof v === "string") return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw misuse(TypeError, "GRK_ERR_FETCH_RESULT", "bodyChunk", { got: v === null ? "null" : typeof v });
}

/** One read() of a body stream, and the reader as the bridge uses it. */
type Step = { done: true; value?: undefined } | { done: false; value: unknown };
interface Reader {
  read(): Promise<Step>;
  cancel(reason?: unknown): Promise<void>;
}

/** A whole body that was there at once: sent with its length (and, without a Content-Type, as UTF-8 text). */
function sendWhole(r: Response, res: HttpResponse, bytes: unknown): void {
  // A string body's type is implicit in a Response (its headers do not show it): as Bun.serve does, a whole body
  // without a Content-Type goes out as UTF-8 text rather than the runtime's default for bytes.
  if (!r.headers.has("content-type")) res.header("Content-Type", "text/plain;charset=utf-8");
  res.send(chunkBytes(bytes));
}

/** Writes chunks as they come, with backpressure; the first (if any) is already read. */
async function streamBody(reader: Reader, first: unknown, next: Promise<Step>, res: HttpResponse, gone: () => boolean): Promise<void> {
  if (first !== undefined && !res.write(chunkBytes(first))) await res.drained();
  let step = await next;
  while (!step.done) {
    if (gone()) {
      // Nobody reads on: stop the source. end() still closes the response, which is what lets the runtime run the
      // connection's close hook (it waits for the response in progress).
      await reader.cancel("client gone").catch(() => {});
      break;
    }
    if (!res.write(chunkBytes(step.value))) await res.drained();
    step = await reader.read();
  }
  res.end();
}

/** The first chunk was there at once: wait for the second (a string, bytes or Blob body ends there) before sending. */
async function afterFirst(r: Response, reader: Reader, first: unknown, second: Promise<Step>, res: HttpResponse, gone: () => boolean): Promise<void> {
  const step = await second;
  if (step.done) return sendWhole(r, res, first);
  return streamBody(reader, first, Promise.resolve(step), res, gone);
}

/**
 * Writes a web `Response` to `res`. Returns nothing when it is written already (every body that is there at once and
 * ends with its first chunk, read without waiting: Bun.peek), else a Promise that resolves once it is finished (or
 * the client is gone and the stream cancelled). Its lock on the body stream is never released: the Response is
 * done with, and releaseLock() costs more than the rest of a small answer.
 */
function writeWebResponse(r: unknown, res: HttpResponse, gone: () => boolean): Promise<void> | undefined {
  if (!(r instanceof Response)) {
    throw misuse(TypeError, "GRK_ERR_FETCH_RESULT", "notResponse", { got: r === null ? "null" : typeof r === "object" ? (r.constructor?.name ?? "an object") : typeof r });
  }
  res.status(r.status);
  let cookies = false;
  r.headers.forEach((value, name) => {
    if (!NOT_COPIED.has(name)) res.header(name, value);
    else if (name === "set-cookie") cookies = true;
  });
  // Each Set-Cookie stays its own field (joining them with ", " would break cookies with an Expires date).
  if (cookies) for (const c of r.headers.getSetCookie()) res.header("Set-Cookie", c);
  const body = r.body;
  if (body === null) {
    res.send();
    return;
  }
  const reader: Reader = body.getReader();
  const p1 = reader.read();
  const s1 = Bun.peek(p1);
  if (s1 === p1) return streamBody(reader, undefined, p1, res, gone); // not there yet: chunk by chunk from the first
  const first = s1 as Step;
  if (first.done) {
    res.send();
    return;
  }
  const p2 = reader.read();
  const s2 = Bun.peek(p2);
  if (s2 === p2) return afterFirst(r, reader, first.value, p2, res, gone);
  const second = s2 as Step;
  if (second.done) {
    sendWhole(r, res, first.value);
    return;
  }
  return streamBody(reader, first.value, p2, res, gone);
}

/**
 * Runs the module's `fetch` hook for one request and writes its answer. Returns nothing when the answer is written
 * already (a hook that returned a Response whose body was there at once), else a Promise; throws or rejects when the
 * hook fails.
 */
export function runFetchHook(def: ModuleDefinition<unknown>, req: HttpRequest<unknown>, res: HttpResponse, scheme: string, gone: () => boolean, stream: ReadableStream<Uint8Array> | null = null): Promise<void> | undefined {
  const answer = def.fetch!(toWebRequest(req, scheme, stream), req.conn as never);
  if (answer instanceof Response) return writeWebResponse(answer, res, gone);
  return Promise.resolve(answer).then((r) => writeWebResponse(r, res, gone));
}

/**
 * The `error` hook's answer to a failed request, written to `res` (whose fields the failed handler may have set are
 * dropped first). Rejects when the hook throws or answers something else; the caller then sends the plain 500.
 */
export async function answerWithErrorHook(def: ModuleDefinition<unknown>, err: unknown, req: HttpRequest<unknown>, res: BridgeResponse, gone: () => boolean): Promise<void> {
  const v = await def.error!(err, req as never);
  res.clearHead();
  if (v instanceof Response) return await writeWebResponse(v, res, gone);
  if (typeof v !== "string" && !(v instanceof Uint8Array)) throw misuse(TypeError, "GRK_ERR_FETCH_RESULT", "errorAnswer", {});
  res.status(500);
  res.send(v);
}
