/**
 * @module http/http-dispatch
 * The module's side of an HTTP connection on an I/O thread: the request, response and exchange objects (exchange.ts
 * runs the serving contract, the same as on a handler thread), the connection as their host (how a failure is
 * counted, a late settling run as a read event, a failed stream cut) and as the wire writer's output
 * (wire-response.ts). The connection (http-connection.ts) parses and decides when the next request may start; this
 * layer only knows that one is in progress (`waiting`).
 */
import type { Config } from "../config/keys.ts";
import { F_SUBCLASS, StreamConnection, type StreamService } from "../io/stream-connection.ts";
import { S_ERR_BAD_DATA, S_ERR_HANDLER, S_PACKETS } from "../stats/stat-fields.ts";
import type { ExchangeHost, HttpExchange } from "./exchange.ts";
import type { HttpBackend } from "./http-backend.ts";
import type { IdleHolders } from "./idle-holders.ts";
import type { ParserPool } from "./parser-pool.ts";
import type { HttpRequestImpl } from "./request.ts";
import { HttpRare } from "./http-rare.ts";
import { RequestState } from "./request-state.ts";
import type { HttpResponseImpl } from "./response.ts";
import type { ResponseEnv } from "./static-response.ts";
import type { WireOut, WireResponse } from "./wire-response.ts";
import type { WsRoute } from "./ws-upgrade.ts";

export interface HttpService extends StreamService {
  readonly http: Config["http"];
  readonly env: ResponseEnv;
  /** "http" or "https": the scheme of the URL a `fetch` hook's Request gets. */
  readonly scheme: string;
  /** The thread's request-duration histograms and this listener's offset in them (-1: not recorded). */
  readonly durations: Float64Array;
  durationBase: number;
  /** Who answers this listener's requests (inline or on a handler thread: http-backend.ts). */
  readonly httpBackend: HttpBackend;
  /** This listener's binary-over-HTTP path ("" = off): its `?binary=`, else http.binary_path. */
  readonly binaryPath: string;
  /** WebSocket upgrades on this listener (ws-upgrade.ts); null = none. */
  readonly ws?: WsRoute | null;
  /** The llhttp parsers no connection of this listener holds now (parser-pool.ts). */
  readonly parsers: ParserPool;
  /** The connections idle with a parser and request state, at most a few hundred (idle-holders.ts). */
  readonly holders: IdleHolders;
}

/** Remembered by the listener's IdleHolders (a bit of `flags`, not a field). */
const F_HELD = F_SUBCLASS;
/** `waiting` and `closeAfter`, bits of `flags` too, read on every request: their accessors use `flags` directly. */
const F_WAITING = F_SUBCLASS << 1;
const F_CLOSE_AFTER = F_SUBCLASS << 2;

export abstract class HttpDispatch extends StreamConnection implements WireOut, ExchangeHost {
  /** The request, response, exchange, metrics and body objects (request-state.ts); null while idle between requests. */
  protected rs: RequestState | null = null;
  /** Requests received on this connection so far. */
  requests = 0;
  /** The state of rare paths (http-rare.ts, which extends io/conn-rare.ts), made on first use; null for most connections. */
  declare protected rareMade: HttpRare | null;

  constructor(socket: never, io: StreamConnection["io"], listener: HttpService) {
    super(socket, io, listener);
  }

  /** This listener's HTTP settings: the service the connection was made with, typed as HTTP's. */
  protected get listener(): HttpService {
    return this.service as HttpService;
  }

  protected override get rare(): HttpRare {
    return (this.rareMade ??= new HttpRare());
  }

  /** A response is in progress past the read event that dispatched it. */
  get waiting(): boolean {
    return (this.flags & F_WAITING) !== 0;
  }

  set waiting(v: boolean) {
    this.setFlag(F_WAITING, v);
  }

  /** This connection closes after the current response. */
  get closeAfter(): boolean {
    return (this.flags & F_CLOSE_AFTER) !== 0;
  }

  set closeAfter(v: boolean) {
    this.setFlag(F_CLOSE_AFTER, v);
  }

  /** In the listener's IdleHolders (idle-holders.ts). */
  get held(): boolean {
    return this.hasFlag(F_HELD);
  }

  set held(v: boolean) {
    this.setFlag(F_HELD, v);
  }

  protected override makeRare(): HttpRare {
    return new HttpRare();
  }

  // Prototype getters, not fields: every field is memory of every connection, idle ones included (issue 17).
  get protocol(): "http" {
    return "http";
  }

  get env(): ResponseEnv {
    return this.listener.env;
  }

  /** The request state, made on first use (the first read, or whatever else asks for it first). */
  protected get served(): RequestState {
    return (this.rs ??= new RequestState(this, this.io, this.listener));
  }

  protected get req(): HttpRequestImpl {
    return this.served.req;
  }

  /** The response on the wire (the status and bytes sent); `res`, the hook's response object, writes to it. */
  protected get wire(): WireResponse {
    return this.served.wire;
  }

  protected get res(): HttpResponseImpl {
    return this.served.res;
  }

  /** The serving contract for this connection's requests (run by the inline backend, inline/inline-http.ts). */
  get exchange(): HttpExchange {
    return this.served.exchange;
  }

  /** Ends a read event (or a turn that acted like one): flush the cork, go on with the backlog, close if asked. */
  abstract endEvent(): void;
  abstract responseFinished(): void;

  // ---- ExchangeHost ----

  get noisy(): StreamConnection["io"]["noisy"] {
    return this.io.noisy;
  }

  get scheme(): string {
    return this.listener.scheme;
  }

  get conn(): this {
    return this;
  }

  /** The response in progress ended after the client left: the close hook, held while it ran, is owed now. */
  afterClosed(): void {
    this.waiting = false;
    this.runCloseHook();
  }

  enterEvent(): boolean {
    const was = this.inEvent;
    this.inEvent = true;
    return was;
  }

  leaveEvent(was: boolean): void {
    this.inEvent = was;
    if (!was) this.endEvent();
  }

  handlerError(): void {
    this.io.stats[S_ERR_HANDLER]++;
  }

  badData(): void {
    this.io.stats[S_ERR_BAD_DATA]++;
  }

  packetsServed(n: number): void {
    this.io.stats[S_PACKETS] += n;
  }

  cut(): void {
    this.waiting = false;
    this.terminate("handler failed mid-response");
  }

  /** proc's drop() closed the connection already (StreamConnection#drop). */
  binaryDropped(): void {}

  // ---- WireOut ----

  beginBatch(): boolean {
    const was = this.inEvent;
    this.inEvent = true;
    return was;
  }

  endBatch(was: boolean): void {
    this.inEvent = was;
    // Inside a read event the cork gathers output until the event ends: a body written in a loop there grew it
    // without bound while write() said go on. Past high water it is written now, so the queue (congested) sees it.
    if (!was || this.io.cork.size > this.service.highWater) this.flushCork();
  }

  waitDrained(): Promise<void> {
    if (!this.congested || this.closed) return Promise.resolve();
    const rare = this.rare;
    return new Promise((resolve) => (rare.drainWaiters ??= []).push(resolve));
  }

  /** Wakes handlers waiting in res.drained() (the output fell below half high water, or the connection is gone). */
  protected wakeDrainWaiters(): void {
    const w = this.rareMade === null ? null : this.rareMade.drainWaiters;
    if (w !== null && w.length > 0) for (const f of w.splice(0)) f();
  }
}
