/**
 * @module http/http-dispatch
 * The module's side of an HTTP connection: which part answers a request (route.ts), running binary over HTTP, the
 * `http` hook or the `fetch` hook (fetch-bridge.ts), turning what it returns (a value, a Promise, a streamed
 * response) into the response, 500 (or the `error` hook's answer) for a hook that fails, and the ResponseSink the
 * response writes through. The connection (http-connection.ts) parses and
 * decides when the next request may start; this layer only knows that one is in progress (`waiting`).
 */
import type { Config } from "../config/keys.ts";
import { StreamConnection, type StreamService } from "../io/stream-connection.ts";
import { S_ERR_BAD_DATA, S_ERR_HANDLER, S_PACKETS } from "../stats/stat-fields.ts";
import { runBinaryOverHttp } from "./binary-over-http.ts";
import { answerWithErrorHook, runFetchHook } from "./fetch-bridge.ts";
import { cannedError, type RejectStatus } from "./http-errors.ts";
import type { HttpResult } from "../module/http-types.ts";
import { HttpRequestImpl } from "./request.ts";
import { HttpResponseImpl, type ResponseSink } from "./response.ts";
import { ROUTE_BINARY, ROUTE_BINARY_METHOD, ROUTE_NOT_FOUND, routeOf } from "./route.ts";
import type { ResponseEnv } from "./static-response.ts";
import type { WsRoute } from "./ws-upgrade.ts";

export interface HttpService extends StreamService {
  readonly http: Config["http"];
  readonly env: ResponseEnv;
  /** "http" or "https": the scheme of the URL a `fetch` hook's Request gets. */
  readonly scheme: string;
  /** The thread's request-duration histograms and this listener's offset in them (-1: not recorded). */
  readonly durations: Float64Array;
  durationBase: number;
  /** This listener's binary-over-HTTP path ("" = off): its `?binary=`, else http.binary_path. */
  readonly binaryPath: string;
  /** WebSocket upgrades on this listener (ws-upgrade.ts); null = none. */
  readonly ws?: WsRoute | null;
}

export abstract class HttpDispatch extends StreamConnection implements ResponseSink {
  readonly protocol = "http" as const;
  readonly env: ResponseEnv;
  protected readonly hs: HttpService;
  protected readonly req: HttpRequestImpl;
  protected readonly res: HttpResponseImpl;
  /** A response is in progress past the read event that dispatched it. */
  protected waiting = false;
  /** The current request's hook returned a Promise (it may still run, and read req.body, after answering). */
  protected hookAsync = false;
  /** This connection closes after the current response. */
  closeAfter = false;
  private drainWaiters: Array<() => void> | null = null;
  /** The current request ran the module's http/fetch hook and the module has an `error` hook to shape failures. */
  private shapeErrors = false;
  /**
   * Counts dispatched requests. A hook that answers with res.send() and then settles its Promise settles after the
   * next pipelined request may have begun (the response's end schedules it first): a late settling is then no longer
   * about the response in progress, and must not be taken for "answered nothing".
   */
  private dispatched = 0;
  /** For the fetch bridge: the client is gone (one closure per connection, not per request). */
  private readonly gone = (): boolean => this.closed;

  constructor(socket: never, io: StreamConnection["io"], svc: HttpService) {
    super(socket, io, svc);
    this.hs = svc;
    this.env = svc.env;
    this.req = new HttpRequestImpl(this);
    this.res = new HttpResponseImpl(this);
  }

  /** Ends a read event (or a turn that acted like one): flush the cork, go on with the backlog, close if asked. */
  abstract endEvent(): void;
  abstract responseFinished(): void;

  // ---- handlers ----

  /** `stream`: a `fetch` hook's request body, fed as it arrives (http-connection.ts); null: `body` is all of it. */
  protected dispatch(body: Uint8Array, stream: ReadableStream<Uint8Array> | null = null): void {
    const def = this.svc.def;
    this.dispatched++;
    this.shapeErrors = false;
    const route = routeOf(def, this.hs.binaryPath, this.req);
    if (route === ROUTE_NOT_FOUND) return this.respondError(404);
    if (route === ROUTE_BINARY_METHOD) {
      this.res.header("Allow", "POST");
      return this.respondError(405);
    }
    if (route === ROUTE_BINARY) {
      let out;
      try {
        out = runBinaryOverHttp(def, this, body);
      } catch (err) {
        return this.handlerFailed(err);
      }
      if (out.kind === "dropped") return;
      if (out.kind === "bad") {
        this.io.noisy.warn("binary over HTTP: bad packet data; answering 400", { module: def.name, conn: this.id, why: out.why });
        this.io.stats[S_ERR_BAD_DATA]++;
        return this.respondError(400);
      }
      this.io.stats[S_PACKETS] += out.packets;
      this.packets += out.packets;
      return this.answer(out.bytes);
    }
    this.shapeErrors = def.error !== undefined;
    let r: HttpResult | Promise<HttpResult>;
    try {
      r = def.http !== undefined ? def.http(this.req, this.res) : runFetchHook(def, this.req, this.res, this.hs.scheme, this.gone, stream);
    } catch (err) {
      return this.handlerFailed(err);
    }
    this.answer(r);
  }

  private answer(r: HttpResult | Promise<HttpResult> | Promise<Uint8Array>): void {
    if (r !== null && typeof r === "object" && typeof (r as Promise<HttpResult>).then === "function") {
      this.hookAsync = true;
      if (this.res.finished) {
        (r as Promise<HttpResult>).then(undefined, (err) => this.lateFailure(err));
        return;
      }
      this.waiting = true;
      const n = this.dispatched;
      (r as Promise<HttpResult>).then(
        (v) => {
          if (n === this.dispatched) this.settled(v);
        },
        (err) => (n === this.dispatched && !this.res.finished ? this.settledWithError(err) : this.lateFailure(err)),
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
    if (this.res.headersSent) {
      // A streamed response: it finishes when the handler calls end().
      this.waiting = true;
      return;
    }
    this.handlerFailed(new Error("the http hook finished without sending a response"));
  }

  private settled(v: HttpResult): void {
    if (this.closed) return this.afterClosed();
    const wasIn = this.inEvent;
    this.inEvent = true;
    this.complete(v);
    this.inEvent = wasIn;
    if (!wasIn) this.endEvent();
  }

  private settledWithError(err: unknown): void {
    if (this.closed) return this.afterClosed();
    const wasIn = this.inEvent;
    this.inEvent = true;
    this.handlerFailed(err);
    this.inEvent = wasIn;
    if (!wasIn) this.endEvent();
  }

  /** The response in progress ended after the client left: the close hook, held while it ran, is owed now. */
  protected afterClosed(): void {
    this.waiting = false;
    this.runCloseHook();
  }

  private lateFailure(err: unknown): void {
    this.io.stats[S_ERR_HANDLER]++;
    this.io.noisy.error("http hook failed after its response was sent", { module: this.svc.def.name, conn: this.id }, err);
  }

  /** A throwing or rejecting handler: 500 (or the error hook's answer) for this request only; the connection stays usable. */
  protected handlerFailed(err: unknown): void {
    this.io.stats[S_ERR_HANDLER]++;
    const shape = this.shapeErrors && !this.res.headersSent;
    this.shapeErrors = false; // at most once per request: a failing error hook gets the plain 500
    this.io.noisy.error(`http hook failed; answering ${shape ? "with the error hook" : "500"}`, { module: this.svc.def.name, conn: this.id }, err);
    if (this.res.headersSent) {
      // Part of a streamed response is out: the only honest end is to cut the connection.
      this.waiting = false;
      this.terminate("handler failed mid-response");
      return;
    }
    if (shape) {
      // Async like a hook that returned a Promise: parsing waits (onMessageComplete sees `waiting`), req stays readable.
      this.waiting = true;
      this.hookAsync = true;
      const n = this.dispatched;
      answerWithErrorHook(this.svc.def, err, this.req, this.res, this.gone).then(
        () => {
          if (n === this.dispatched) this.settled(undefined);
        },
        (e) => (n === this.dispatched && !this.res.finished ? this.errorHookFailed(e) : this.lateFailure(e)),
      );
      return;
    }
    this.res.clearHead();
    this.respondError(500);
  }

  private errorHookFailed(err: unknown): void {
    if (this.closed) return this.afterClosed();
    this.io.noisy.error("error hook failed; answering 500", { module: this.svc.def.name, conn: this.id }, err);
    const wasIn = this.inEvent;
    this.inEvent = true;
    if (this.res.headersSent) {
      this.waiting = false;
      this.terminate("handler failed mid-response");
    } else {
      this.res.clearHead();
      this.respondError(500);
    }
    this.inEvent = wasIn;
    if (!wasIn) this.endEvent();
  }

  protected respondError(status: RejectStatus): void {
    this.res.status(status);
    this.res.header("Content-Type", "text/plain; charset=utf-8");
    this.res.send(cannedError(status).body);
  }

  // ---- ResponseSink ----

  beginBatch(): boolean {
    const was = this.inEvent;
    this.inEvent = true;
    return was;
  }

  endBatch(was: boolean): void {
    this.inEvent = was;
    if (!was) this.flushCork();
  }

  waitDrained(): Promise<void> {
    if (!this.congested || this.closed) return Promise.resolve();
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  /** Wakes handlers waiting in res.drained() (the output fell below half high water, or the connection is gone). */
  protected wakeDrainWaiters(): void {
    const w = this.drainWaiters;
    if (w !== null && w.length > 0) for (const f of w.splice(0)) f();
  }
}
