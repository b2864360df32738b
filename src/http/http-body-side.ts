/**
 * @module http/http-body-side
 * A `fetch` hook's request body fed to it as a stream while it arrives, inline and in pool mode alike: which
 * requests stream (a body, a `fetch` hook, not binary over HTTP), the body fed through the backend's feed
 * (http-backend.ts: the hook's own ReadableStream inline, body-stream.ts; BODY records to the handler thread in pool
 * mode, pool/pool-body.ts), reading paused while the feed is full and resumed when the hook has read, and the stream
 * failed when the client leaves before the body is in. The connection (http-connection.ts) extends this layer and
 * feeds the stream from llhttp's onBody.
 */
import { misuse } from "../errors.ts";
import { PAUSE_BODY } from "../io/stream-connection.ts";
import type { RequestBodyFeed } from "./http-backend.ts";
import { cannedError, type RejectStatus } from "./http-errors.ts";
import { HttpWsSide } from "./http-ws-side.ts";
import { Method, type RequestParser } from "./llhttp/parser.ts";
import { ROUTE_HOOK, routeOf } from "./route.ts";

export const EMPTY = new Uint8Array(0);

export abstract class HttpBodySide extends HttpWsSide {
  /** A `fetch` hook's request body being fed to it as it arrives (its hook runs already); null: none. */
  protected streamed: RequestBodyFeed | null = null;
  /** Reading stopped because `streamed` is full (the hook is not reading its body). */
  protected get bodyPaused(): boolean {
    const r = this.rareMade;
    return r !== null && r.bodyPaused;
  }

  protected set bodyPaused(v: boolean) {
    if (v || this.rareMade !== null) this.rare.bodyPaused = v; // in `rare` (http-rare.ts): most bodies never pause
  }
  /** The client's last read, on the thread's coarse clock: the body's pause is timed on it alone (request-timeouts.ts). */
  protected lastRead = 0;

  /** Parses one read's bytes as a read event; `now` is performance.now() for it. */
  protected abstract feed(chunk: Uint8Array, now: number): void;
  protected abstract beginRequest(p: RequestParser, body: Uint8Array): void;
  /** Reading was held `ms` for the hook: the body's deadline (http.body_deadline_ms) moves on by as much. */
  protected abstract bodyHeld(ms: number): void;

  /** A `fetch` hook's request with a body: the hook runs now, at the end of the head, fed the body as it arrives. */
  protected startStreaming(p: RequestParser): void {
    const backend = this.listener.httpBackend;
    this.beginRequest(p, EMPTY);
    const feed = (this.streamed = backend.bodyFeed(this, this.service.highWater, () => this.bodyPulled()));
    // Answered on a handler thread: the response comes back through `response` (parsing goes on for the body).
    if (!backend.inline) this.waiting = true;
    backend.request(this, ROUTE_HOOK, p, EMPTY, feed);
    // The hook runs on past this read: its head must leave the parser's memory.
    this.req.detach();
  }

  /**
   * Between requests with nothing carried, paused or streaming, an idle connection lets go of what only requests
   * need: its parser goes back to the pool (parser-pool.ts), its request state to the GC (request-state.ts). The next
   * read takes them again. Done by the tick (at most once a tick per connection), not per request.
   */
  protected park(): void {
    const p = this.parser;
    if ((p !== null && !p.betweenMessages) || this.rest !== null || this.waiting || this.wsNext !== null || this.streamed !== null) return;
    const rs = this.rs;
    this.rs = null;
    if (rs !== null) this.io.idleGc.released++; // its garbage, for the thread's idle collection (io/idle-gc.ts)
    if (p === null) return;
    this.parser = null;
    if (rs !== null && rs.req.head === p) rs.req.rehead(p.takeHead());
    this.listener.parsers.give(p);
  }

  /** Parses what waits in `rest`, as a read event. */
  protected feedRest(): void {
    const r = this.rest;
    this.rest = null;
    if (r !== null && !this.stopReading) {
      this.inEvent = true;
      this.feed(r, performance.now());
      this.inEvent = false;
      this.endEvent();
    }
  }

  /** The hook pulled on a full body stream: read again, on a fresh turn (we may be inside its read() call). */
  protected bodyPulled(): void {
    if (this.bodyPaused) queueMicrotask(() => this.resumeBody());
  }

  /** The hook is not reading: stop reading the socket until it pulls (what Bun still delivers waits in `rest`). */
  protected holdBody(): void {
    this.bodyPaused = true;
    this.rare.heldSince = this.io.clock; // when the hold began: the body timeouts do not count it (releaseBody)
    this.pauseFor(PAUSE_BODY);
  }

  /**
   * Reads again after holdBody. The body timeouts (request-timeouts.ts) measure the client; while we held reading it
   * could not send, so the pause between reads starts again now and the deadline moves on by the time held.
   */
  protected releaseBody(): void {
    this.bodyPaused = false;
    const now = this.io.clock;
    this.lastActive = this.lastRead = now;
    this.bodyHeld(now - this.rare.heldSince);
    this.resumeFor(PAUSE_BODY);
  }

  protected resumeBody(): void {
    if (!this.bodyPaused || this.closed || this.streamed?.full) return;
    this.releaseBody();
    this.feedRest();
    // The client half-closed while we held its bytes: all it sent is in, and the body is still short.
    if (this.closing && !this.bodyPaused) this.endStream(misuse(Error, "GRK_ERR_REQUEST_BODY", "ended", {}));
  }

  /** Fails (or, with null, closes) the body stream in progress, if any. */
  protected endStream(err: Error | null): void {
    const s = this.streamed;
    if (s === null) return;
    this.streamed = null;
    if (err === null) s.close();
    else s.error(err);
    if (this.bodyPaused) this.releaseBody();
  }

  /**
   * The body of a request whose hook runs already (here or on a handler thread) is refused mid-stream (a status of
   * http-errors.ts: http.max_body_bytes, a body timeout): the body stream fails. Once the hook's answer has begun the
   * connection can only be cut; before, the client gets the refusal and a close, and what the hook answers is dropped
   * (wire-response.ts refuse).
   */
  protected refuseStreamed(status: RejectStatus, why: string): void {
    this.endStream(misuse(Error, "GRK_ERR_REQUEST_BODY", "refused", { status, why }));
    this.stopReading = true;
    if (this.wire.headersSent) return this.terminate("request body refused");
    this.closeAfter = true;
    this.closing = true;
    const wasIn = this.inEvent;
    this.inEvent = true;
    this.wire.refuse(cannedError(status));
    this.inEvent = wasIn;
    if (!wasIn) this.endEvent();
  }

  override onPeerEnd(): void {
    if (!this.bodyPaused) this.endStream(misuse(Error, "GRK_ERR_REQUEST_BODY", "ended", {}));
    super.onPeerEnd();
  }

  /**
   * At the end of the head of a request with a body for a `fetch` hook: the hook runs now (here or on its handler
   * thread), with the body as a stream that onBody feeds (the `http` hook and binary over HTTP take the whole body).
   */
  protected streamsBody(p: RequestParser): boolean {
    const def = this.service.def;
    if (def.fetch === undefined || def.http !== undefined || p.method === Method.GET || p.method === Method.HEAD) return false;
    this.req.begin(p, EMPTY);
    return routeOf(def, this.listener.binaryPath, this.req) === ROUTE_HOOK;
  }

}
