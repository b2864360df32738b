/**
 * @module http/http-connection
 * One HTTP/1.1 connection: its lifecycle and timeouts, feeding reads to llhttp, and the order of pipelined requests.
 * The head is checked by head-check.ts, the body collected by request-body.ts (or, for a `fetch` hook, streamed to it
 * as it arrives: http-body-side.ts), the module run by exchange.ts through the connection's backend
 * (http-backend.ts; http-dispatch.ts is the exchange's host here), responses from elsewhere written by
 * http-backend-side.ts, WebSocket upgrades by http-ws-side.ts (those four are the base classes);
 * statistics, durations and the access-log line of each request by request-metrics.ts. Requests are answered one at
 * a time: a synchronous handler's response is corked with the others of the same read; while an async handler runs,
 * parsing pauses and the socket stops reading (the rest of the read waits in `rest`).
 */
import { misuse } from "../errors.ts";
import type { AccessLog } from "../access-log/access-log.ts";
import { PAUSE_WAIT } from "../io/stream-connection.ts";
import { S_ERR_HTTP_REJECTED } from "../stats/stat-fields.ts";
import { EXPECT_CONTINUE, checkHead } from "./head-check.ts";
import { HttpBodySide } from "./http-body-side.ts";
import { HttpRejections, cannedError, statusForParseError, type RejectStatus } from "./http-errors.ts";
import { Method, ParseResult, type ParserEvents, type RequestParser } from "./llhttp/parser.ts";
import type { RequestBody } from "./request-body.ts";
import { BODY, HEAD, IDLE, T_BODY_DEADLINE, T_BODY_PAUSE, T_CLOSE, T_HEAD, requestTimeout } from "./request-timeouts.ts";
import { routeOf } from "./route.ts";
import { CLOSE, KEEP_ALIVE_10, KEEP_ALIVE_11 } from "./static-response.ts";
import { decideUpgrade, isWsRequest } from "./ws-upgrade.ts";

export type { HttpService } from "./http-dispatch.ts";

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
/** Reload drain: an HTTP connection idle this long is closed rather than waited for. */
const MOVE_ON_IDLE_MS = 1000;

export class HttpConnection extends HttpBodySide implements ParserEvents {
  private phase = IDLE;
  private phaseStart = 0;

  private get body(): RequestBody { return this.served.body; }

  // ---- lifecycle and timeouts ----

  busy(): boolean { return this.waiting || this.backlogged || this.bodyPaused; }

  /**
   * Input is not parsed now: a response is in progress (waiting; but a streamed body is parsed on while its hook
   * runs), the output is past high water (backlogged), or a streamed body waits for its hook to read (bodyPaused).
   */
  private get holding(): boolean {
    return (this.waiting && this.streamed === null) || this.backlogged || this.bodyPaused;
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
    this.rare.movingOn = true;
  }

  override closeWhenDone(): void {
    this.closeAfter = true;
    // A request that is half received may still complete during the drain.
    if (this.phase === IDLE && !this.holding) this.close();
    else this.closing = true;
  }

  protected override released(): void {
    const p = this.parser;
    if (p !== null) {
      this.parser = null;
      this.listener.parsers.give(p);
    }
    this.rest = null;
    this.backlogged = false;
    this.rs?.body.reset();
    this.endStream(misuse(Error, "GRK_ERR_REQUEST_BODY", "closed", {}));
    this.wakeDrainWaiters();
  }

  tick(now: number): void {
    if (this.closed || this.cutIfUnread(now)) return;
    if (this.holding || this.ringSince >= 0) return; // the server holds reading: not the client's time
    // Idle for a while during a reload drain: the client is not sending, so closing cannot race a request.
    if (this.rareMade !== null && this.rareMade.movingOn && this.phase === IDLE && now - this.lastActive >= MOVE_ON_IDLE_MS) return this.close();
    switch (requestTimeout(this.phase, this.requests, now, this.phaseStart, this.lastRead, this.lastActive, this.listener.http)) {
      case T_CLOSE:
        return this.close();
      case T_HEAD:
        return this.rejectRequest(408, "request head not received in time");
      case T_BODY_PAUSE:
        return this.rejectRequest(408, "request body not received in time");
      case T_BODY_DEADLINE:
        return this.rejectRequest(408, "request body not complete within http.body_deadline_ms");
    }
    this.checkIdle(now);
    this.parkIfIdle();
  }

  /** Between requests: the parser and request state go back (the tick, or the listener's IdleHolders when full). */
  parkIfIdle(): void {
    if ((this.parser !== null || this.rs !== null) && this.phase === IDLE && !this.closed && !this.closing && !this.closeAfter) this.park();
  }

  protected bodyHeld(ms: number): void { if (this.phase === BODY) this.phaseStart += ms; }

  /** A full ring held reading (pool mode): a head or body the client could not send meanwhile starts that much later. */
  protected override ringHeld(ms: number): void {
    this.lastRead = this.io.clock;
    if (this.phase !== IDLE || this.requests === 0) this.phaseStart += ms;
  }

  opened(): void { this.phaseStart = this.lastRead = this.io.clock; }

  // ---- feed and backlog ----

  /** `now`: performance.now() at this read (the listener's, shared with the Date line). */
  onData(chunk: Uint8Array, now = performance.now()): void {
    if (this.stopReading) return;
    this.lastActive = this.lastRead = this.io.clock;
    this.countIn(chunk.length);
    if (this.holding) {
      // Paused, but Bun may still deliver what it had read: keep it for after the response.
      this.rest = this.rest === null ? new Uint8Array(chunk) : concat(this.rest, chunk);
      return;
    }
    this.inEvent = true;
    this.feed(chunk, now);
    this.inEvent = false;
    this.endEvent();
  }

  protected feed(chunk: Uint8Array, now: number): void {
    const metrics = this.served.metrics;
    metrics.eventBegan(now);
    this.parseRead(chunk);
    metrics.eventEnded();
  }

  private parseRead(chunk: Uint8Array): void {
    if (this.phase === IDLE) {
      this.phase = HEAD;
      this.phaseStart = this.io.clock;
      this.metrics.headBegan();
    }
    const p = (this.parser ??= this.listener.parsers.take(this));
    const rc = p.execute(chunk);
    if (this.wsPending) {
      // An asynchronous upgrade hook is running: what came after the handshake waits with what arrives meanwhile.
      const off = p.errorOffset();
      if (off < chunk.length) this.rest = chunk.slice(off);
      return;
    }
    if (this.wsNext !== null) {
      // The 101 is corked: what the client sent after its handshake is WebSocket frames, for the connection to come.
      const off = p.errorOffset();
      this.wsRest = off < chunk.length ? chunk.slice(off) : null;
      return;
    }
    if (rc === ParseResult.Ok) {
      // A body piece of this read that the message has not finished with must leave the shared WASM memory.
      this.body.keep(this.expectedBody());
      if (this.streamed?.full && !this.bodyPaused) this.holdBody();
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
    const reject = this.rareMade === null ? 0 : this.rareMade.reject; // set by stop()
    if (reject !== 0) {
      this.rejectRequest(reject, `refused with ${reject}`);
      return;
    }
    if (p.errorCode() === ParseResult.CallbackThrew) {
      this.rejectRequest(500, "internal error in the request parser callbacks");
      return;
    }
    const status = statusForParseError(rc, p.headerIndex("content-length") >= 0, p.errorToken(), p.errorByte());
    this.rejectRequest(status, `${p.errorName()}: ${p.errorReason()}`);
  }

  private expectedBody(): number {
    const cl = this.parser?.contentLength ?? -1;
    return cl > 0 ? cl : 0;
  }

  /** Answers with a canned error and closes (after the responses before it). */
  private rejectRequest(status: RejectStatus, why: string): void {
    const { code, why: rule } = HttpRejections[status];
    this.io.log.debug("request rejected", { conn: this.id, status, code, why, rule });
    const st = this.io.stats;
    st[S_ERR_HTTP_REJECTED]++;
    if (this.streamed !== null) {
      this.phase = IDLE;
      return this.refuseStreamed(status, why);
    }
    this.metrics.rejected(status, cannedError(status).body.length);
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
    if (this.wsNext !== null) return this.becomeWs();
    if (this.backlogged) this.continueBacklog();
    if (this.closing || this.closeAfter) {
      if (!this.holding) {
        this.closing = true;
        this.stopReading = true;
      }
      this.maybeFinish();
    }
    // Idle again holding its parser and request state: remembered, so a burst cannot keep thousands until the tick.
    if (this.phase === IDLE && !this.held && (this.parser !== null || this.rs !== null)) this.listener.holders.add(this);
  }

  /** The pipelined requests a backlog left in `rest` (see StreamConnection#backlogged). */
  protected override resumeBacklog(): void {
    this.backlogged = false;
    this.backlogCleared();
    this.resumeParsing();
    if (this.closing && !this.holding) this.maybeFinish();
  }

  private resumeParsing(): void {
    if (this.closed || this.waiting) return;
    this.parser?.resume();
    this.resumeFor(PAUSE_WAIT);
    this.feedRest();
  }

  // ---- ParserEvents (called from inside llhttp; must not throw — the binding guards them) ----

  onHeadersComplete(p: RequestParser): number {
    const s = checkHead(p, this.listener.http.max_body_bytes);
    if (s === EXPECT_CONTINUE) this.send(CONTINUE);
    else if (s !== 0) return this.stop(s);
    if (p.contentLength > 0 || p.chunked) {
      // Each message's end resets the collector (onMessageComplete); a body-less request never touches it.
      this.body.reset();
      this.phase = BODY;
      this.phaseStart = this.io.clock;
      if (this.streamsBody(p)) this.startStreaming(p);
    }
    return 0;
  }

  onBody(p: RequestParser, buf: Uint8Array, start: number, end: number): number {
    const s = this.streamed;
    if (s !== null) {
      if (s.received + end - start > this.listener.http.max_body_bytes) return this.stop(413);
      s.push(buf, start, end);
      return 0;
    }
    const cl = p.contentLength;
    return this.body.add(buf, start, end, cl > 0 ? cl : 0) ? 0 : this.stop(413);
  }

  onMessageComplete(p: RequestParser): number {
    // No phaseStart: between requests of a connection that has had one, only lastActive is timed (request-timeouts.ts).
    this.phase = IDLE;
    if (this.streamed !== null) {
      // A streamed body is complete; the next pipelined request waits for this one's response, as always.
      this.endStream(null);
      return this.afterDispatch();
    }
    // The request state once, in a local: each getter read re-checks that it exists (see request-state.ts).
    const rs = this.served;
    const collected = rs.body;
    const view = collected.view;
    // A body that arrived in one read is a view of WASM memory: pool mode copies it into the ring right away; a hook
    // gets it from the thread's body arena instead, since it may keep req.body across an await (see loanBody).
    const listener = this.listener;
    const backend = listener.httpBackend;
    const inArena = view !== null && backend.inline;
    const body = inArena ? this.io.arenaBody(view) : (view ?? collected.owned());
    collected.reset();
    this.beginRequest(p, body);
    const req = rs.req;
    const ws = listener.ws;
    if (ws != null && isWsRequest(ws, req)) {
      const d = decideUpgrade(ws, req, this.io);
      return "pending" in d ? this.awaitUpgrade(d) : this.upgrade(d);
    }
    // The route is this listener's decision (its binary path), so it goes with the request wherever it is answered.
    const route = routeOf(this.service.def, listener.binaryPath, req);
    if (!backend.inline) {
      // Answered on a handler thread: parsing waits for its response, which comes back through `response`.
      this.waiting = true;
      backend.request(this, route, p, body, null);
      this.pauseFor(PAUSE_WAIT);
      return ParseResult.Paused;
    }
    // Inline, the exchange runs here, as InlineHttp.request would run it: one call less deep, so the JIT can inline
    // the hook's answer down to the wire (it inlines only a few calls deep).
    rs.exchange.run(route, body, null);
    if (inArena && (rs.exchange.hookAsync || this.waiting)) this.io.loanBody();
    if (this.waiting) req.detach();
    return this.afterDispatch();
  }

  /** The request is counted and its response begun (keep-alive decided), and `req` shows it. */
  protected beginRequest(p: RequestParser, body: Uint8Array): void {
    const rs = this.served;
    this.requests++;
    rs.metrics.requestBegan(p);
    const max = this.listener.http.max_requests_per_connection;
    const keep = p.keepAlive && !this.closeAfter && !this.io.draining && !p.upgrade && (max === 0 || this.requests < max);
    const http10 = p.versionMinor === 0;
    this.closeAfter = !keep;
    rs.wire.begin(keep ? (http10 ? KEEP_ALIVE_10 : KEEP_ALIVE_11) : CLOSE, p.method === Method.HEAD, http10);
    rs.res.begin();
    rs.req.begin(p, body);
  }

  /** The request is dispatched: parsing pauses while its response is in progress, or goes on. */
  private afterDispatch(): number {
    if (this.waiting) {
      this.pauseFor(PAUSE_WAIT);
      return ParseResult.Paused;
    }
    if (this.closeAfter || this.served.wire.closes) {
      this.closeAfter = true;
      return ParseResult.Paused;
    }
    if (this.stopReading) return ParseResult.Paused;
    if (this.io.cork.size + this.queuedBytes > this.service.highWater) {
      // RFC 9112 §9.3.2: pipelined requests are answered in order, but no faster than the client reads the answers;
      // the rest of the read waits in `rest` (feed) and reading stops (endEvent → continueBacklog).
      this.backlogged = true;
      return ParseResult.Paused;
    }
    return 0;
  }

  /** Records why the request is refused and stops llhttp (execute returns an error; feed() answers). */
  private stop(status: RejectStatus): number {
    this.rare.reject = status;
    return -1;
  }

  // ---- the end of a response ----

  responseFinished(): void {
    const rs = this.served;
    rs.metrics.answered(rs.wire.statusCode, rs.wire.bodyBytes);
    if (!this.waiting) return; // answered inside the read event: onMessageComplete carries on
    this.waiting = false;
    // Answered before its streamed body is all in: the rest is read and dropped (bounded by http.max_body_bytes).
    if (this.streamed !== null) {
      this.streamed.error(misuse(Error, "GRK_ERR_REQUEST_BODY", "unread", {}));
      if (this.bodyPaused) this.releaseBody();
    }
    if (this.closed) return this.afterClosed();
    if (rs.wire.closes || this.closeAfter || this.closing) {
      this.closeAfter = true;
      this.closing = true;
      this.stopReading = true;
      if (!this.inEvent) this.maybeFinish();
      return;
    }
    // Go on with pipelined requests on a fresh turn, so a long pipeline cannot recurse.
    queueMicrotask(() => this.resumeParsing());
  }

  /** Closed with a request unanswered: logged with the status already sent, or 499 (the client went away first). */
  protected override logClosed(_al: AccessLog): void {
    if (this.rs === null) return; // parked: no request in progress
    this.metrics.closedUnanswered(this.wire.headersSent ? this.wire.statusCode : 499, this.wire.bodyBytes);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
