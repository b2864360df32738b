/**
 * @module http/ws-upgrade
 * Where an HTTP connection meets WebSocket: which requests are upgrades (the listener's WebSocket path: a ws:// or
 * wss:// entry's path, or `?ws=` on an HTTP entry), the handshake rules (ws/ws-handshake.ts), the module's
 * `websocket.upgrade` hook (accept, refuse with a status, attach state, pick a subprotocol), and the response: 101,
 * or a refusal with `Connection: close`. The connection (http-connection.ts) writes it and hands its socket over.
 */
import { misuse } from "../errors.ts";
import type { IoContext } from "../io/io-context.ts";
import type { StreamService } from "../io/stream-connection.ts";
import type { WebSocketUpgrade } from "../module/types.ts";
import { S_ERR_HANDLER } from "../stats/stat-fields.ts";
import type { WsService } from "../ws/ws-connection.ts";
import { checkUpgrade, selectProtocol, switchingProtocols } from "../ws/ws-handshake.ts";
import { negotiateDeflate, type DeflateParams } from "../ws/ws-deflate.ts";
import type { HttpRequestImpl } from "./request.ts";
import { statusText } from "./status-text.ts";

export interface WsRoute {
  /** The path upgrades are served at. */
  readonly path: string;
  /** A ws:// or wss:// entry: nothing but WebSocket (other paths 404, a plain request at the path 426). */
  readonly only: boolean;
  /** Messages are answered through the module's backend (service.backend), inline or on a handler thread. */
  readonly service: WsService;
}

export type UpgradeDecision =
  | {
    readonly ok: true; readonly status: 101; readonly response: string; readonly protocol: string | undefined; readonly setState: boolean; readonly state: unknown;
    /** permessage-deflate as agreed (ws.deflate on and the client offered it), else null. */
    readonly deflate: DeflateParams | null;
  }
  | { readonly ok: false; readonly status: number; readonly response: string };

export function wsRoute(io: IoContext, base: StreamService, path: string | undefined, only: boolean): WsRoute | null {
  if (path === undefined) return null;
  const c = io.config.ws;
  const service: WsService = {
    ...base,
    hooks: base.def.websocket as WsService["hooks"],
    maxMessage: c.max_message_bytes,
    idleMs: c.idle_timeout_ms,
    pingMs: c.ping_interval_ms,
    closeMs: c.close_timeout_ms,
    deflate: c.deflate,
  };
  return { path, only, service };
}

/** A request at the listener's WebSocket path (any request, on a ws:// entry). */
export function isWsRequest(route: WsRoute, req: HttpRequestImpl): boolean {
  return route.only || req.path === route.path;
}

function refuse(status: number, why: string): UpgradeDecision {
  const reason = statusText(status);
  const body = `${status} ${reason}: ${why}\n`;
  const response =
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    // RFC 6455 §4.4: a version we do not speak is answered with the ones we do; §4.2.2: 426 names the protocol to upgrade to.
    (status === 426 ? "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n" : "") +
    (status === 405 ? "Allow: GET\r\n" : "") +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return { ok: false, status, response };
}

export function decideUpgrade(route: WsRoute, req: HttpRequestImpl, io: IoContext): UpgradeDecision | PendingUpgrade {
  if (req.path !== route.path) return refuse(404, "no WebSocket here");
  if (io.draining) return refuse(503, "the server is shutting down");
  const h = checkUpgrade({ method: req.method, versionMinor: Number(req.version.slice(2)) || 0, header: (n) => req.headers.get(n) });
  if (!h.ok) return refuse(h.status, h.why);
  const hooks = route.service.hooks;
  const protocol = selectProtocol(h.protocols, hooks?.protocols);
  const deflate = route.service.deflate ? negotiateDeflate(h.extensions) : null;
  const hook = hooks?.upgrade;
  if (hook === undefined) return accept(h.key, protocol, false, undefined, deflate);
  let r: WebSocketUpgrade<unknown> | Promise<WebSocketUpgrade<unknown>>;
  try {
    r = hook(req, { protocols: h.protocols, origin: h.origin });
  } catch (err) {
    return hookFailed(route, io, err);
  }
  if (r !== null && typeof r === "object" && typeof (r as { then?: unknown }).then === "function") {
    // Asynchronous (authentication against a store, say): the connection waits, not reading, for at most
    // ws.upgrade_timeout_ms (http-connection.ts), then has the answer settled by settleUpgrade.
    return { pending: r as Promise<WebSocketUpgrade<unknown>>, key: h.key, offered: h.protocols, protocol, deflate };
  }
  return answer(route, io, h.key, h.protocols, protocol, r as WebSocketUpgrade<unknown>, deflate);
}

/** An upgrade hook that returned a Promise: what settleUpgrade needs once it settles. */
export interface PendingUpgrade {
  readonly pending: Promise<WebSocketUpgrade<unknown>>;
  readonly key: string;
  readonly offered: readonly string[];
  readonly protocol: string | undefined;
  readonly deflate: Negotiated;
}

type Negotiated = ReturnType<typeof negotiateDeflate>;

/** The decision once an asynchronous upgrade hook has settled (`ok`: its value; otherwise the rejection). */
export function settleUpgrade(route: WsRoute, io: IoContext, p: PendingUpgrade, ok: boolean, value: unknown): UpgradeDecision {
  if (io.draining) return refuse(503, "the server is shutting down");
  if (!ok) return hookFailed(route, io, value);
  if (value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function") return hookFailed(route, io, misuse(Error, "GRK_ERR_UPGRADE_RESULT", "promise", {}));
  return answer(route, io, p.key, p.offered, p.protocol, value as WebSocketUpgrade<unknown>, p.deflate);
}

/** An asynchronous upgrade hook that did not settle within ws.upgrade_timeout_ms. */
export function upgradeTimedOut(route: WsRoute, io: IoContext): UpgradeDecision {
  io.stats[S_ERR_HANDLER]++;
  io.noisy.error("websocket.upgrade did not settle within ws.upgrade_timeout_ms; answering 503", { module: route.service.def.name });
  return refuse(503, "upgrade hook timed out");
}

function hookFailed(route: WsRoute, io: IoContext, err: unknown): UpgradeDecision {
  io.stats[S_ERR_HANDLER]++;
  io.noisy.error("websocket.upgrade failed; answering 500", { module: route.service.def.name }, err);
  return refuse(500, "upgrade hook failed");
}

function accept(key: string, protocol: string | undefined, setState: boolean, state: unknown, deflate: Negotiated): UpgradeDecision {
  const response = switchingProtocols(key, protocol, deflate?.response);
  return { ok: true, status: 101, response, protocol, setState, state, deflate: deflate?.params ?? null };
}

function answer(route: WsRoute, io: IoContext, key: string, offered: readonly string[], selected: string | undefined, r: WebSocketUpgrade<unknown>, deflate: Negotiated): UpgradeDecision {
  let protocol = selected;
  let setState = false;
  let state: unknown;
  if (r === false) return refuse(403, "refused by the module");
  if (typeof r === "number") return refuse(Number.isInteger(r) && r >= 400 && r <= 599 ? r : 500, "refused by the module");
  if (r !== null && typeof r === "object") {
    if ("state" in r) {
      setState = true;
      state = r.state;
    }
    if (r.protocol !== undefined) {
      // §4.2.2: the subprotocol "MUST be one of those the client offered".
      if (!offered.includes(r.protocol)) {
        io.noisy.error("websocket.upgrade chose a subprotocol the client did not offer; answering 500", { module: route.service.def.name, protocol: r.protocol });
        return refuse(500, "upgrade hook chose a subprotocol the client did not offer");
      }
      protocol = r.protocol;
    }
  }
  return accept(key, protocol, setState, state, deflate);
}
