/**
 * @module http/http-ws-side
 * A WebSocket upgrade on an HTTP connection: ws-upgrade.ts decides, this layer writes the answer and, once the 101 is
 * out, hands the socket to ws/ws-connection.ts with what the client sent after its handshake. The connection
 * (http-connection.ts) extends this layer; the parser lives here because the upgrade ends it.
 */
import { WsConnection } from "../ws/ws-connection.ts";
import type { RequestMetrics } from "./request-metrics.ts";
import { HttpBackendSide } from "./http-backend-side.ts";
import { ParseResult, type RequestParser } from "./llhttp/parser.ts";
import { PAUSE_WAIT } from "../io/stream-connection.ts";
import { setOwner } from "../io/socket-owner.ts";
import { settleUpgrade, upgradeTimedOut, type PendingUpgrade, type UpgradeDecision } from "./ws-upgrade.ts";

export abstract class HttpWsSide extends HttpBackendSide {
  protected parser: RequestParser | null = null;
  /** Statistics, durations and the access-log line of each request. */
  protected get metrics(): RequestMetrics {
    return this.served.metrics;
  }
  /** The accepted upgrade whose 101 is corked (kept in `rare`, http-rare.ts, as are wsRest and wsPending). */
  protected get wsNext(): Extract<UpgradeDecision, { ok: true }> | null {
    const r = this.rareMade;
    return r === null ? null : r.wsNext;
  }

  protected set wsNext(v: Extract<UpgradeDecision, { ok: true }> | null) {
    if (v !== null || this.rareMade !== null) this.rare.wsNext = v;
  }

  /** What the client sent after its handshake, for the WebSocket connection. */
  protected get wsRest(): Uint8Array | null {
    const r = this.rareMade;
    return r === null ? null : r.wsRest;
  }

  protected set wsRest(v: Uint8Array | null) {
    if (v !== null || this.rareMade !== null) this.rare.wsRest = v;
  }
  /** Bytes read after the request being answered (or while a body stream is full), parsed once it may go on. */
  protected rest: Uint8Array | null = null;

  protected upgrade(d: UpgradeDecision): number {
    this.metrics.upgraded(d.status);
    this.send(d.response);
    if (!d.ok) {
      this.closeAfter = true;
      this.closing = true;
      this.stopReading = true;
    } else this.wsNext = d;
    return ParseResult.Paused;
  }

  /** The 101 is written: a WebSocket connection takes this socket, its id, state and pool link over. */
  protected becomeWs(): void {
    const d = this.wsNext!;
    const route = this.listener.ws!;
    this.wsNext = null;
    const rest = this.wsRest;
    this.wsRest = null;
    const p = this.parser;
    if (p !== null) {
      this.parser = null;
      this.listener.parsers.give(p);
    }
    const w = new WsConnection(this, route.service, d.protocol, d.deflate);
    if (d.setState) w.state = d.state;
    setOwner(this.socket, w);
    w.start(rest);
  }

  /** An asynchronous upgrade hook is running: what arrives waits in `rest`. */
  protected get wsPending(): boolean {
    const r = this.rareMade;
    return r !== null && r.wsPending;
  }

  protected set wsPending(v: boolean) {
    if (v || this.rareMade !== null) this.rare.wsPending = v;
  }

  /**
   * An upgrade hook that returned a Promise: parsing and reading pause (what arrives meanwhile waits in `rest`, as
   * for an asynchronous http hook) until it settles or ws.upgrade_timeout_ms passes (503). One timer per pending
   * upgrade, only on this path.
   */
  protected awaitUpgrade(p: PendingUpgrade): number {
    this.waiting = true;
    this.wsPending = true;
    this.req.detach();
    this.pauseFor(PAUSE_WAIT);
    let done = false;
    const settle = (decide: () => UpgradeDecision): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.waiting = false;
      this.wsPending = false;
      if (this.closed) return this.afterClosed();
      const d = decide();
      // Frames the client sent after its handshake were kept in `rest` while we waited.
      this.wsRest = this.rest;
      this.rest = null;
      const wasIn = this.inEvent;
      this.inEvent = true;
      this.upgrade(d);
      this.inEvent = wasIn;
      if (!wasIn) this.endEvent();
    };
    const route = this.listener.ws!;
    const timer = setTimeout(() => settle(() => upgradeTimedOut(route, this.io)), this.io.config.ws.upgrade_timeout_ms);
    p.pending.then(
      (v) => settle(() => settleUpgrade(route, this.io, p, true, v)),
      (e) => settle(() => settleUpgrade(route, this.io, p, false, e)),
    );
    return ParseResult.Paused;
  }
}
