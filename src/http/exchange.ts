/**
 * @module http/exchange
 * The serving contract of one HTTP request, written once and run on an I/O thread (inline) and on a handler thread
 * (pool): the route (route.ts) picks binary over HTTP (binary-over-http.ts), 404/405, or the module's `http` or
 * `fetch` hook (fetch-bridge.ts); what the hook returns (a value, a Promise, a streamed response) becomes the
 * response; a hook that throws, rejects or answers nothing gets a 500, or the `error` hook's answer, and a failure
 * after part of a stream went out cuts the connection. The request and response objects (request.ts, response.ts)
 * are the same on both threads; where the response goes, and how a failure is counted, is the host's.
 */
import { misuse } from "../errors.ts";
import type { RateLimitedLog } from "../log/logger.ts";
import type { Conn, ModuleDefinition } from "../module/types.ts";
import { runBinaryOverHttp } from "./binary-over-http.ts";
import { answerWithErrorHook, runFetchHook } from "./fetch-bridge.ts";
import { cannedError, type RejectStatus } from "./http-errors.ts";
import type { HttpResult } from "../module/http-types.ts";
import type { HttpRequestImpl } from "./request.ts";
import type { HttpResponseImpl } from "./response.ts";
import { ROUTE_BINARY, ROUTE_BINARY_METHOD, ROUTE_HOOK, ROUTE_NOT_FOUND } from "./route.ts";

/** Where an exchange runs: the HTTP connection on an I/O thread, the pooled request's side on a handler thread. */
export interface ExchangeHost {
  readonly noisy: RateLimitedLog;
  /**
   * What the hooks get as `conn`; binary over HTTP reads `dropping` after each proc call to stop at a drop(), and
   * `closeRequested` to stop at a close().
   */
  readonly conn: Conn<unknown> & { readonly dropping: boolean; readonly closeRequested: boolean };
  /** The connection is gone: a late settling only lets the close hook run (afterClosed). */
  readonly closed: boolean;
  /** A response is in progress past the call that dispatched it (set here, cleared by the host when it ends). */
  waiting: boolean;
  /** A response in progress ended after the client left. */
  afterClosed(): void;
  /** Code run later (a settled Promise) runs as a read event: returns a token for leaveEvent. */
  enterEvent(): boolean;
  leaveEvent(token: boolean): void;
  /** Counted where the connection lives: a handler error, bad data, packets given to proc. */
  handlerError(): void;
  badData(): void;
  packetsServed(n: number): void;
  /** A handler failed with part of its response out: the only honest end is to cut the connection. */
  cut(): void;
  /** proc called drop() during binary over HTTP: no response; the connection closes. */
  binaryDropped(): void;
}

export class HttpExchange {
  /** The current request's hook returned a Promise (it may still run, and read req.body, after answering). */
  hookAsync = false;
  /** The current request ran the module's http/fetch hook and the module has an `error` hook to shape failures. */
  private shapeErrors = false;
  /**
   * Counts dispatched requests. A hook that answers with res.send() and then settles its Promise settles after the
   * next pipelined request may have begun (the response's end schedules it first): a late settling is then no longer
   * about the response in progress, and must not be taken for "answered nothing".
   */
  private dispatched = 0;
  /** The current request is binary over HTTP (a drop() before its async replies settle discards them). */
  private binary = false;

  constructor(
    private readonly def: ModuleDefinition<unknown>,
    private readonly host: ExchangeHost,
    readonly req: HttpRequestImpl,
    readonly res: HttpResponseImpl,
    /** The scheme of a `fetch` hook's URL ("http" or "https"). */
    private readonly scheme: string,
    /**
     * For the fetch bridge: the client is gone. null: `host.closed`, through a closure made on the first `fetch` or
     * `error` hook (one per connection, not per request; none for an `http` hook, issue 17's idle memory).
     */
    private goneFn: (() => boolean) | null,
  ) {}

  private get gone(): () => boolean {
    return (this.goneFn ??= () => this.host.closed);
  }

  /**
   * Answers the request `req` holds. `route`: route.ts's decision for it; `body`: all of it, or with `stream` (a
   * `fetch` hook's body fed as it arrives) empty.
   */
  run(route: number, body: Uint8Array, stream: ReadableStream<Uint8Array> | null = null): void {
    this.dispatched++;
    this.hookAsync = false;
    this.shapeErrors = false;
    this.binary = route === ROUTE_BINARY;
    // The hook's route here, the others in a method of their own: run stays small enough to be inlined, and the
    // hook's answer is only a few calls below the connection (the JIT inlines a few calls deep).
    if (route !== ROUTE_HOOK) return this.runOther(route, body);
    const def = this.def;
    this.shapeErrors = def.error !== undefined;
    let r: HttpResult | Promise<HttpResult>;
    try {
      r = def.http !== undefined ? def.http(this.req, this.res) : runFetchHook(def, this.req, this.res, this.scheme, this.gone, stream);
    } catch (err) {
      return this.handlerFailed(err);
    }
    this.answer(r);
  }

  /** 404, 405 on the binary path, or binary over HTTP. */
  private runOther(route: number, body: Uint8Array): void {
    const def = this.def;
    const host = this.host;
    if (route === ROUTE_NOT_FOUND) return this.respondError(404);
    if (route === ROUTE_BINARY_METHOD) {
      this.res.header("Allow", "POST");
      return this.respondError(405);
    }
    let out;
    try {
      out = runBinaryOverHttp(def, host.conn, body);
    } catch (err) {
      return this.handlerFailed(err);
    }
    if (out.kind === "dropped" || host.conn.dropping) return host.binaryDropped();
    if (out.kind === "bad") {
      host.noisy.warn("binary over HTTP: bad packet data; answering 400", { module: def.name, conn: host.conn.id, why: out.why });
      host.badData();
      return this.respondError(400);
    }
    host.packetsServed(out.packets);
    this.answer(out.bytes);
  }

  private answer(r: HttpResult | Promise<HttpResult> | Promise<Uint8Array>): void {
    if (r !== null && typeof r === "object" && typeof (r as Promise<HttpResult>).then === "function") {
      this.hookAsync = true;
      if (this.res.finished) {
        (r as Promise<HttpResult>).then(undefined, (err) => this.lateFailure(err));
        return;
      }
      this.host.waiting = true;
      const n = this.dispatched;
      (r as Promise<HttpResult>).then(
        (v) => {
          if (n === this.dispatched) this.settled(v, false);
        },
        (err) => (n === this.dispatched && !this.res.finished ? this.settled(err, true) : this.lateFailure(err)),
      );
      return;
    }
    this.complete(r as HttpResult);
  }

  /** The handler is done (returned or resolved): send its result, or complain if it answered nothing. */
  private complete(v: HttpResult): void {
    if (this.res.finished) return;
    if (v !== undefined && v !== null) {
      try {
        this.res.send(v as string | Uint8Array);
      } catch (err) {
        this.handlerFailed(err);
      }
      return;
    }
    this.returnedNothing();
  }

  /** The hook returned nothing: a streamed response goes on, else it answered nothing (a method of its own: see run). */
  private returnedNothing(): void {
    if (this.res.headersSent) {
      // A streamed response: it finishes when the handler calls end().
      this.host.waiting = true;
      return;
    }
    this.handlerFailed(misuse(Error, "GRK_ERR_NO_RESPONSE", "none", {}));
  }

  /** The hook's Promise settled (`failed`: `v` is why), as an event of the connection's own. */
  private settled(v: unknown, failed: boolean): void {
    const host = this.host;
    if (host.closed) return host.afterClosed();
    const token = host.enterEvent();
    if (failed) this.handlerFailed(v);
    // A drop() after an await in binary over HTTP: no response, as for a drop() before any await (inline sent a 200
    // with the replies of the packets before it).
    else if (this.binary && host.conn.dropping) {
      host.waiting = false; // no response will come: the close the drop() asked for goes ahead (endEvent)
      host.binaryDropped();
    } else this.complete(v as HttpResult);
    host.leaveEvent(token);
  }

  private lateFailure(err: unknown): void {
    this.host.handlerError();
    this.host.noisy.error("http hook failed after its response was sent", { module: this.def.name, conn: this.host.conn.id }, err);
  }

  /** A throwing or rejecting handler: 500 (or the error hook's answer) for this request only; the connection stays usable. */
  private handlerFailed(err: unknown): void {
    const host = this.host;
    host.handlerError();
    const shape = this.shapeErrors && !this.res.headersSent;
    this.shapeErrors = false; // at most once per request: a failing error hook gets the plain 500
    host.noisy.error(`http hook failed; answering ${shape ? "with the error hook" : "500"}`, { module: this.def.name, conn: host.conn.id }, err);
    if (this.res.headersSent) return host.cut();
    if (shape) {
      // Async like a hook that returned a Promise: parsing waits (the host sees `waiting`), req stays readable.
      host.waiting = true;
      this.hookAsync = true;
      const n = this.dispatched;
      answerWithErrorHook(this.def, err, this.req, this.res, this.gone).then(
        () => {
          if (n === this.dispatched) this.settled(undefined, false);
        },
        (e) => (n === this.dispatched && !this.res.finished ? this.errorHookFailed(e) : this.lateFailure(e)),
      );
      return;
    }
    this.res.clearHead();
    this.respondError(500);
  }

  private errorHookFailed(err: unknown): void {
    const host = this.host;
    if (host.closed) return host.afterClosed();
    host.noisy.error("error hook failed; answering 500", { module: this.def.name, conn: host.conn.id }, err);
    const token = host.enterEvent();
    if (this.res.headersSent) host.cut();
    else {
      this.res.clearHead();
      this.respondError(500);
    }
    host.leaveEvent(token);
  }

  respondError(status: RejectStatus): void {
    this.res.status(status);
    this.res.header("Content-Type", "text/plain; charset=utf-8");
    this.res.send(cannedError(status).body);
  }
}
