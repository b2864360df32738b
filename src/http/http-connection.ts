/**
 * @module http/http-connection
 * One HTTP/1.1 connection: feeds reads to llhttp, checks what llhttp leaves to the server (version, Host, transfer
 * codings, limits, Expect), collects the body, calls the module, and keeps pipelined responses in order. Requests
 * are answered one at a time: a synchronous handler's response is corked with the others of the same read; while an
 * async handler runs, parsing pauses and the socket stops reading (the rest of the read waits in `rest`).
 * Statistics: bytes per read event, one increment per request and per response (by status class); with the access
 * log on, the request line and start time are kept until its response is finished, then one line is logged.
 */
import type { AccessLog } from "../access-log/access-log.ts";
import type { Config } from "../config/keys.ts";
import { describeError } from "../errors.ts";
import { PAUSE_WAIT, StreamConnection, type StreamService } from "../io/stream-connection.ts";
import {
  K_ACK, K_HTTP_REQ, K_HTTP_RES, K_REJECT, R_CHUNK, R_CLOSE, R_DROP, R_END, R_FAIL, R_WHOLE, Reader, readResponse, requestSize,
  writeRequest, type PoolRequest,
} from "../pool/pool-protocol.ts";
import { runBinaryOverHttp } from "./binary-over-http.ts";
import { ROUTE_BINARY, ROUTE_BINARY_METHOD, ROUTE_NOT_FOUND, routeOf } from "./route.ts";
import { cannedError, statusForParseError, type RejectStatus } from "./http-errors.ts";
import type { HttpResult } from "./http-types.ts";
import { Method, ParseResult, RequestParser, type ParserEvents } from "./llhttp/parser.ts";
import { HttpRequestImpl } from "./request.ts";
import { HttpResponseImpl, type ResponseSink } from "./response.ts";
import {
  S_BYTES_IN, S_ERR_BAD_DATA, S_ERR_HANDLER, S_ERR_HTTP_REJECTED, S_HTTP_REQUESTS, S_PACKETS, statusClassField,
} from "../stats/stat-fields.ts";
import { CLOSE, KEEP_ALIVE_10, KEEP_ALIVE_11, type ResponseEnv } from "./static-response.ts";

export interface HttpService extends StreamService {
  readonly http: Config["http"];
  readonly env: ResponseEnv;
}

const EMPTY = new Uint8Array(0);
const IDLE = 0;
const HEAD = 1;
const BODY = 2;
const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
/** Reload drain: an HTTP connection idle this long is closed rather than waited for. */
const MOVE_ON_IDLE_MS = 1000;
/** Fields checked on every request, located in one pass. */
const CHECKED_FIELDS = ["host", "transfer-encoding", "expect"] as const;
const F_HOST = 0;
const F_TE = 1;
const F_EXPECT = 2;
const FIRST = new Int32Array(CHECKED_FIELDS.length);
const COUNT = new Int32Array(CHECKED_FIELDS.length);

export class HttpConnection extends StreamConnection implements ParserEvents, ResponseSink {
  readonly protocol = "http" as const;
  readonly env: ResponseEnv;
  private readonly hs: HttpService;
  private parser: RequestParser | null = null;
  private readonly req: HttpRequestImpl;
  private readonly res: HttpResponseImpl;
  /** Status to answer when a callback stopped the parser. */
  private reject: RejectStatus | 0 = 0;
  /** Body pieces: a zero-copy view while it is one piece of the current read, else an owned growing buffer. */
  private bodyView: Uint8Array | null = null;
  private bodyBuf: Uint8Array | null = null;
  private bodyLen = 0;
  /** A response is in progress past the read event that dispatched it. */
  private waiting = false;
  /** The current request's hook returned a Promise (it may still run, and read req.body, after answering). */
  private hookAsync = false;
  /** Bytes read after the request being answered, parsed once its response is finished. */
  private rest: Uint8Array | null = null;
  /** This connection closes after the current response. */
  closeAfter = false;
  private requests = 0;
  private phase = IDLE;
  private phaseStart = 0;
  private drainWaiters: Array<() => void> | null = null;
  /** Access log: when the current request's head began (performance.now(); 0 = at its completion), its request line. */
  private logT0 = 0;
  private logStart = 0;
  private logMethod = "-";
  private logTarget = "-";
  private logVersion = "-";
  /** A request was received and its line is not logged yet. */
  private logPending = false;

  constructor(socket: never, io: StreamConnection["io"], svc: HttpService) {
    super(socket, io, svc);
    this.hs = svc;
    this.env = svc.env;
    this.req = new HttpRequestImpl(this);
    this.res = new HttpResponseImpl(this);
  }

  // ---- StreamConnection ----

  busy(): boolean {
    return this.holding;
  }

  /** Input is not parsed now: a response is in progress (waiting) or the output is past high water (backlogged). */
  private get holding(): boolean {
    return this.waiting || this.backlogged;
  }

  quiescent(): boolean {
    return !this.holding && this.phase === IDLE && this.queuedBytes === 0 && this.rest === null;
  }

  override close(): void {
    // From a handler: the response in progress says `Connection: close`, and the connection ends after it.
    this.closeAfter = true;
    super.close();
  }

  /** Reload drain: the next response says `Connection: close`; an idle connection is closed by tick() after a while. */
  moveOn(): void {
    this.closeAfter = true;
    this.movingOn = true;
  }

  private movingOn = false;

  override closeWhenDone(): void {
    this.closeAfter = true;
    // A request that is half received may still complete during the drain.
    if (this.phase === IDLE && !this.holding) this.close();
    else this.closing = true;
  }

  protected override released(): void {
    this.parser?.destroy();
    this.parser = null;
    this.rest = null;
    this.backlogged = false;
    this.bodyBuf = this.bodyView = null;
    for (const w of this.drainWaiters?.splice(0) ?? []) w();
  }

  tick(now: number): void {
    if (this.closed || this.cutIfUnread(now)) return;
    if (this.holding) return;
    // Idle for a while during a reload drain: the client is not sending, so closing cannot race a request.
    if (this.movingOn && this.phase === IDLE && now - this.lastActive >= MOVE_ON_IDLE_MS) return this.close();
    const h = this.hs.http;
    if (this.phase === HEAD || (this.phase === IDLE && this.requests === 0)) {
      if (h.head_timeout_ms > 0 && now - this.phaseStart >= h.head_timeout_ms) {
        if (this.phase === HEAD) this.rejectRequest(408, "request head not received in time");
        else this.close();
        return;
      }
    } else if (this.phase === BODY) {
      if (h.body_timeout_ms > 0 && now - this.lastActive >= h.body_timeout_ms) {
        this.rejectRequest(408, "request body not received in time");
        return;
      }
    } else if (h.keep_alive_timeout_ms > 0 && now - this.lastActive >= h.keep_alive_timeout_ms) {
      this.close();
      return;
    }
    this.checkIdle(now);
  }

  opened(): void {
    this.phaseStart = this.io.clock;
  }

  // ---- reading ----

  onData(chunk: Uint8Array): void {
    if (this.stopReading) return;
    this.lastActive = this.io.clock;
    this.io.stats[S_BYTES_IN] += chunk.length;
    this.bytesIn += chunk.length;
    if (this.holding) {
      // Paused, but Bun may still deliver what it had read: keep it for after the response.
      this.rest = this.rest === null ? new Uint8Array(chunk) : concat(this.rest, chunk);
      return;
    }
    this.inEvent = true;
    this.feed(chunk);
    this.inEvent = false;
    this.endEvent();
  }

  private feed(chunk: Uint8Array): void {
    if (this.phase === IDLE) {
      this.phase = HEAD;
      this.phaseStart = this.io.clock;
      if (this.io.accessLog !== null) this.logT0 = performance.now();
    }
    const p = (this.parser ??= new RequestParser(this, {
      maxHeadBytes: this.hs.http.max_head_bytes,
      maxHeaders: this.hs.http.max_headers,
      maxUrlBytes: this.hs.http.max_url_bytes,
    }));
    const rc = p.execute(chunk);
    if (rc === ParseResult.Ok) {
      this.keepBodyPiece();
      return;
    }
    if (rc === ParseResult.Paused) {
      // Paused by us: a response is in progress, or the connection closes after it.
      if (this.holding && !this.closeAfter) {
        const off = p.errorOffset();
        if (off < chunk.length) this.rest = chunk.slice(off);
      }
      return;
    }
    if (rc === ParseResult.PausedUpgrade) {
      // Upgrade/CONNECT: we answered it as a plain request (RFC 9110 §7.8 lets a server ignore Upgrade); what follows
      // belongs to another protocol, so the connection ends after the response.
      this.closeAfter = true;
      return;
    }
    if (this.reject !== 0) {
      this.rejectRequest(this.reject, describeRejection(this.reject));
      return;
    }
    if (p.errorCode() === ParseResult.CallbackThrew) {
      this.rejectRequest(500, "internal error in the request parser callbacks");
      return;
    }
    const status = statusForParseError(rc, p.headerIndex("content-length") >= 0, p.errorToken(), p.errorByte());
    this.rejectRequest(status, `${p.errorName()}: ${p.errorReason()}`);
  }

  /** A body piece of this read that the message has not finished with must leave the shared WASM memory. */
  private keepBodyPiece(): void {
    const v = this.bodyView;
    if (v === null) return;
    this.bodyView = null;
    // Grown geometrically from what arrived, never sized from Content-Length alone: a head that announces 1 MiB and
    // sends one byte must not make the server reserve 1 MiB per connection.
    const cap = this.expectedBody() > 0 ? this.expectedBody() : this.hs.http.max_body_bytes;
    const b = new Uint8Array(Math.max(v.length, Math.min(cap, Math.max(v.length * 2, 16 * 1024))));
    b.set(v, 0);
    this.bodyBuf = b;
  }

  private expectedBody(): number {
    const cl = this.parser?.contentLength ?? -1;
    return cl > 0 ? cl : 0;
  }

  /** Answers with a canned error and closes (after the responses before it). */
  private rejectRequest(status: RejectStatus, why: string): void {
    this.io.log.debug("request rejected", { conn: this.id, status, why });
    const st = this.io.stats;
    st[S_ERR_HTTP_REJECTED]++;
    st[statusClassField(status)]++;
    const al = this.io.accessLog;
    if (al !== null) {
      // The request line may be half parsed: it is not logged.
      this.logMethod = this.logTarget = this.logVersion = "-";
      this.logStart = this.logT0 === 0 ? performance.now() : this.logT0;
      this.logLine(al, status, cannedError(status).body.length);
    }
    this.phase = IDLE;
    this.closeAfter = true;
    this.stopReading = true;
    const wasIn = this.inEvent;
    this.inEvent = true;
    this.send(cannedError(status).bytes(this.env, CLOSE, false));
    this.inEvent = wasIn;
    if (!wasIn) this.endEvent();
    this.closing = true;
  }

  endEvent(): void {
    this.flushCork();
    if (this.backlogged) this.continueBacklog();
    if (this.closing || this.closeAfter) {
      if (!this.holding) {
        this.closing = true;
        this.stopReading = true;
      }
      this.maybeFinish();
    }
  }

  // ---- ParserEvents (called from inside llhttp; must not throw — the binding guards them) ----

  onHeadersComplete(p: RequestParser): number {
    // RFC 9110 §2.5 / §15.6.6: only HTTP/1.x is served here; llhttp accepts "HTTP/2.0" on a request line.
    if (p.versionMajor !== 1) return this.stop(505);
    if (p.fast) {
      // The fast scan already counted these (and let no Transfer-Encoding through).
      COUNT[F_HOST] = p.fastHosts;
      COUNT[F_TE] = 0;
      COUNT[F_EXPECT] = p.fastExpect < 0 ? 0 : 1;
      FIRST[F_EXPECT] = p.fastExpect;
    } else p.locate(CHECKED_FIELDS, FIRST, COUNT);
    // RFC 9112 §3.2: a client MUST send Host in HTTP/1.1; a server MUST answer 400 if it is missing or repeated.
    const hosts = COUNT[F_HOST]!;
    if (hosts > 1 || (hosts === 0 && p.versionMinor >= 1)) return this.stop(400);
    if (COUNT[F_TE]! > 0) {
      // RFC 9112 §6.1: a transfer coding the server does not understand → 501 (llhttp only knows chunked) ...
      if (!onlyChunked(p)) return this.stop(501);
      // ... and chunked in an HTTP/1.0 request is faulty framing: answer 400 and close.
      if (p.versionMinor === 0) return this.stop(400);
    }
    const cl = p.contentLength;
    if (cl > this.hs.http.max_body_bytes) return this.stop(413);
    if (COUNT[F_EXPECT]! > 0) {
      // RFC 9110 §10.1.1: answer 100 before the body, or 417 for expectations we do not know.
      if (p.headerValue(FIRST[F_EXPECT]!).toLowerCase() !== "100-continue") return this.stop(417);
      if (p.versionMinor >= 1) this.send(CONTINUE);
    }
    this.bodyLen = 0;
    this.bodyView = null;
    this.bodyBuf = null;
    if (cl > 0 || p.chunked) this.phase = BODY;
    return 0;
  }

  onBody(_p: RequestParser, buf: Uint8Array, start: number, end: number): number {
    const n = end - start;
    const total = this.bodyLen + n;
    if (total > this.hs.http.max_body_bytes) return this.stop(413);
    if (this.bodyView === null && this.bodyBuf === null) {
      this.bodyView = buf.subarray(start, end);
    } else {
      if (this.bodyView !== null) this.keepBodyPiece();
      let b = this.bodyBuf!;
      if (b.length < total) {
        const grown = new Uint8Array(Math.min(Math.max(total, b.length * 2), this.hs.http.max_body_bytes));
        grown.set(b.subarray(0, this.bodyLen), 0);
        b = this.bodyBuf = grown;
      }
      b.set(buf.subarray(start, end), this.bodyLen);
    }
    this.bodyLen = total;
    return 0;
  }

  onMessageComplete(p: RequestParser): number {
    this.phase = IDLE;
    this.phaseStart = this.io.clock;
    const view = this.bodyView;
    // A body that arrived in one read is a view of WASM memory: pool mode copies it into the ring right away; a hook
    // gets it from the thread's body arena instead, since it may keep req.body across an await (see loanBody).
    const inArena = view !== null && this.link === null;
    const body = inArena ? this.io.arenaBody(view) : (view ?? (this.bodyBuf === null ? EMPTY : this.bodyBuf.subarray(0, this.bodyLen)));
    this.bodyView = this.bodyBuf = null;
    this.requests++;
    this.io.stats[S_HTTP_REQUESTS]++;
    if (this.io.accessLog !== null) this.noteRequest(p);
    const max = this.hs.http.max_requests_per_connection;
    const keep = p.keepAlive && !this.closeAfter && !this.io.draining && !p.upgrade && (max === 0 || this.requests < max);
    const http10 = p.versionMinor === 0;
    this.closeAfter = !keep;
    this.res.begin(keep ? (http10 ? KEEP_ALIVE_10 : KEEP_ALIVE_11) : CLOSE, p.method === Method.HEAD, http10);
    this.req.begin(p, body);
    if (this.link !== null) {
      // Pool mode: the request crosses to the handler thread as one record; parsing waits for its response.
      this.toPool(p, body);
      this.waiting = true;
      this.pauseFor(PAUSE_WAIT);
      return ParseResult.Paused;
    }
    this.hookAsync = false;
    this.dispatch(body);
    if (inArena && (this.hookAsync || this.waiting)) this.io.loanBody();
    if (this.waiting) {
      this.req.detach();
      this.pauseFor(PAUSE_WAIT);
      return ParseResult.Paused;
    }
    if (this.res.closes) this.closeAfter = true;
    if (this.closeAfter || this.stopReading) return ParseResult.Paused;
    if (this.io.cork.size + this.queuedBytes > this.svc.highWater) {
      // RFC 9112 §9.3.2: pipelined requests are answered in order, but no faster than the client reads the answers;
      // the rest of the read waits in `rest` (feed) and reading stops (endEvent → continueBacklog).
      this.backlogged = true;
      return ParseResult.Paused;
    }
    return 0;
  }

  /** The pipelined requests a backlog left in `rest` (see StreamConnection#backlogged). */
  protected override resumeBacklog(): void {
    this.backlogged = false;
    this.backlogCleared();
    this.resumeParsing();
    if (this.closing && !this.holding) this.maybeFinish();
  }

  /** Records why the request is refused and stops llhttp (execute returns an error; feed() answers). */
  private stop(status: RejectStatus): number {
    this.reject = status;
    return -1;
  }

  // ---- handlers ----

  private dispatch(body: Uint8Array): void {
    const def = this.svc.def;
    const route = routeOf(def, this.hs.http.binary_path, this.req);
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
    let r: HttpResult | Promise<HttpResult>;
    try {
      r = def.http!(this.req, this.res);
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
      (r as Promise<HttpResult>).then(
        (v) => this.settled(v),
        (err) => this.settledWithError(err),
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

  private afterClosed(): void {
    this.waiting = false;
    this.runCloseHook();
  }

  private lateFailure(err: unknown): void {
    this.io.stats[S_ERR_HANDLER]++;
    this.io.noisy.error("http hook failed after its response was sent", { module: this.svc.def.name, conn: this.id, error: describeError(err) });
  }

  /** A throwing or rejecting handler: 500 for this request only; the connection stays usable. */
  private handlerFailed(err: unknown): void {
    this.io.stats[S_ERR_HANDLER]++;
    this.io.noisy.error("http hook failed; answering 500", { module: this.svc.def.name, conn: this.id, error: describeError(err) });
    if (this.res.headersSent) {
      // Part of a streamed response is out: the only honest end is to cut the connection.
      this.waiting = false;
      this.terminate("handler failed mid-response");
      return;
    }
    this.respondError(500);
  }

  private respondError(status: RejectStatus): void {
    this.res.status(status);
    this.res.header("Content-Type", "text/plain; charset=utf-8");
    this.res.send(cannedError(status).body);
  }

  // ---- pool mode ----

  private pendingAcks = 0;

  private toPool(p: RequestParser, body: Uint8Array): void {
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < p.headerCount; i++) headers.push([p.headerName(i), p.headerValue(i)]);
    const r: PoolRequest = { method: p.methodName(), url: p.url(), versionMajor: p.versionMajor, versionMinor: p.versionMinor, headers, body };
    this.link!.sendEncoded(K_HTTP_REQ, this.poolNo, this.requests, 0, requestSize(r), (w) => writeRequest(w, r));
  }

  poolRecord(kind: number, _seq: number, flags: number, bytes: Uint8Array, off: number, _len: number): void {
    if (kind === K_REJECT) {
      this.refusedByHandler(flags);
      return;
    }
    if (kind !== K_HTTP_RES || !this.waiting) return;
    if (this.closed) {
      // The client left mid-request. A streaming handler waits for acks: give them, so it can finish. When the
      // response ends, the handler's close hook is owed (K_CLOSE), which onClose left to us while it was busy.
      if ((flags & R_CHUNK) !== 0) this.link!.send(K_ACK, this.poolNo, 0, 0);
      if ((flags & (R_WHOLE | R_END | R_FAIL | R_DROP)) !== 0) this.afterClosed();
      return;
    }
    const r = readResponse(new Reader(bytes, off));
    const wasIn = this.inEvent;
    this.inEvent = true;
    try {
      if ((flags & R_CLOSE) !== 0) this.closeAfter = true;
      if ((flags & R_DROP) !== 0) {
        this.waiting = false;
        this.drop();
      } else if ((flags & R_FAIL) !== 0) {
        this.handlerFailed(new Error(new TextDecoder().decode(r.body)));
      } else {
        if (!this.res.headersSent) this.res.applyHead(r.status, r.lines);
        if ((flags & R_WHOLE) !== 0) this.res.send(r.body);
        else if ((flags & R_CHUNK) !== 0) {
          this.res.write(r.body);
          // The handler may stream on once this chunk is out of our way (bounded memory for slow clients).
          if (this.congested) this.pendingAcks++;
          else this.link!.send(K_ACK, this.poolNo, 0, 0);
        } else if ((flags & R_END) !== 0) this.res.end();
      }
    } catch (err) {
      this.handlerFailed(err);
    }
    this.inEvent = wasIn;
    if (!wasIn) this.endEvent();
  }

  handlerLost(): void {
    if (this.closed) {
      this.waiting = false;
      this.runCloseHook();
      return;
    }
    this.closeAfter = true;
    if (this.waiting && !this.res.headersSent) {
      const wasIn = this.inEvent;
      this.inEvent = true;
      this.respondError(503);
      this.inEvent = wasIn;
      if (!wasIn) this.endEvent();
    } else if (this.waiting) {
      this.waiting = false;
      this.terminate("handler thread died mid-response");
    } else this.close();
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

  protected override drained(): void {
    for (; this.pendingAcks > 0; this.pendingAcks--) this.link?.send(K_ACK, this.poolNo, 0, 0);
    const w = this.drainWaiters;
    if (w !== null && w.length > 0) for (const f of w.splice(0)) f();
  }

  responseFinished(): void {
    this.responseDone();
    if (!this.waiting) return; // answered inside the read event: onMessageComplete carries on
    this.waiting = false;
    if (this.closed) return this.afterClosed();
    if (this.res.closes || this.closeAfter || this.closing) {
      this.closeAfter = true;
      this.closing = true;
      this.stopReading = true;
      if (!this.inEvent) this.maybeFinish();
      return;
    }
    // Go on with pipelined requests on a fresh turn, so a long pipeline cannot recurse.
    queueMicrotask(() => this.resumeParsing());
  }

  // ---- statistics and access log ----

  /** A response is complete: count its status class and log its request. */
  private responseDone(): void {
    const f = statusClassField(this.res.statusCode);
    if (f >= 0) this.io.stats[f]++;
    const al = this.io.accessLog;
    if (al !== null && this.logPending) this.logLine(al, this.res.statusCode, this.res.bodyBytes);
  }

  /** Access log on: keep the request line now, while the parser still holds it. */
  private noteRequest(p: RequestParser): void {
    this.logStart = this.logT0 === 0 ? performance.now() : this.logT0;
    this.logT0 = 0;
    this.logMethod = p.methodName();
    this.logTarget = p.url();
    this.logVersion = `${p.versionMajor}.${p.versionMinor}`;
    this.logPending = true;
  }

  private logLine(al: AccessLog, status: number, bytesOut: number): void {
    this.logPending = false;
    al.http({
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      method: this.logMethod,
      target: this.logTarget,
      version: this.logVersion,
      status,
      bytesOut,
      durationMs: performance.now() - this.logStart,
      module: this.svc.def.name,
      thread: this.thread,
    });
  }

  /** Closed with a request unanswered: logged with the status already sent, or 499 (the client went away first). */
  protected override logClosed(al: AccessLog): void {
    if (this.logPending) this.logLine(al, this.res.headersSent ? this.res.statusCode : 499, this.res.bodyBytes);
  }

  private resumeParsing(): void {
    if (this.closed || this.waiting) return;
    this.parser?.resume();
    this.resumeFor(PAUSE_WAIT);
    const r = this.rest;
    this.rest = null;
    if (r !== null && !this.stopReading) {
      this.inEvent = true;
      this.feed(r);
      this.inEvent = false;
      this.endEvent();
    }
  }
}

function onlyChunked(p: RequestParser): boolean {
  for (let i = p.headerIndex("transfer-encoding"); i >= 0; i = p.headerIndex("transfer-encoding", i + 1)) {
    for (const coding of p.headerValue(i).split(",")) {
      const c = coding.trim().toLowerCase();
      if (c !== "chunked" && c !== "") return false;
    }
  }
  return true;
}


function describeRejection(status: number): string {
  return `refused with ${status}`;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
