/**
 * @module http/ws-upgrade
 * Where an HTTP connection meets WebSocket: which requests are upgrades (the listener's WebSocket path: a ws:// or
 * wss:// entry's path, or `?ws=` on an HTTP entry), the handshake rules (ws/ws-handshake.ts), the module's
 * `websocket.upgrade` hook (accept, refuse with a status, attach state, pick a subprotocol), and the response: 101,
 * or a refusal with `Connection: close`. The connection (http-connection.ts) writes it and hands its socket over.
 */
import type { IoContext } from "../io/io-context.ts";
import type { StreamService } from "../io/stream-connection.ts";
import type { WebSocketUpgrade } from "../module/types.ts";
import { S_ERR_HANDLER } from "../stats/stat-fields.ts";
import type { WsService } from "../ws/ws-connection.ts";
import { checkUpgrade, selectProtocol, switchingProtocols } from "../ws/ws-handshake.ts";
import type { HttpRequestImpl } from "./request.ts";
import { statusText } from "./status-text.ts";

export interface WsRoute {
  /** The path upgrades are served at. */
  readonly path: string;
  /** A ws:// or wss:// entry: nothing but WebSocket (other paths 404, a plain request at the path 426). */
  readonly only: boolean;
  readonly svc: WsService;
  /** The module's proc; undefined in pool mode (messages go to the handler thread). */
  readonly proc: ((packet: Uint8Array, conn: unknown) => unknown) | undefined;
}

export type UpgradeDecision =
  | { readonly ok: true; readonly status: 101; readonly response: string; readonly protocol: string | undefined; readonly setState: boolean; readonly state: unknown }
  | { readonly ok: false; readonly status: number; readonly response: string };

export function wsRoute(io: IoContext, base: StreamService, path: string | undefined, only: boolean): WsRoute | null {
  if (path === undefined) return null;
  const c = io.config.ws;
  const svc: WsService = {
    ...base,
    hooks: base.def.websocket as WsService["hooks"],
    maxMessage: c.max_message_bytes,
    idleMs: c.idle_timeout_ms,
    pingMs: c.ping_interval_ms,
    closeMs: c.close_timeout_ms,
  };
  const proc = io.pool !== null ? undefined : (base.def.proc as WsRoute["proc"]);
  return { path, only, svc, proc };
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

export function decideUpgrade(route: WsRoute, req: HttpRequestImpl, io: IoContext): UpgradeDecision {
  if (req.path !== route.path) return refuse(404, "no WebSocket here");
  if (io.draining) return refuse(503, "the server is shutting down");
  const h = checkUpgrade({ method: req.method, versionMinor: Number(req.version.slice(2)) || 0, header: (n) => req.headers.get(n) });
  if (!h.ok) return refuse(h.status, h.why);
  const hooks = route.svc.hooks;
  let protocol = selectProtocol(h.protocols, hooks?.protocols);
  let setState = false;
  let state: unknown;
  const hook = hooks?.upgrade;
  if (hook !== undefined) {
    let r: WebSocketUpgrade<unknown>;
    try {
      r = hook(req, { protocols: h.protocols, origin: h.origin });
    } catch (err) {
      io.stats[S_ERR_HANDLER]++;
      io.noisy.error("websocket.upgrade threw; answering 500", { module: route.svc.def.name }, err);
      return refuse(500, "upgrade hook failed");
    }
    if (r === false) return refuse(403, "refused by the module");
    if (typeof r === "number") return refuse(Number.isInteger(r) && r >= 400 && r <= 599 ? r : 500, "refused by the module");
    if (r !== null && typeof r === "object") {
      if (typeof (r as { then?: unknown }).then === "function") {
        io.stats[S_ERR_HANDLER]++;
        io.noisy.error("websocket.upgrade must answer synchronously (it returned a Promise); answering 500", { module: route.svc.def.name });
        return refuse(500, "upgrade hook answered with a Promise");
      }
      if ("state" in r) {
        setState = true;
        state = r.state;
      }
      if (r.protocol !== undefined) {
        // §4.2.2: the subprotocol "MUST be one of those the client offered".
        if (!h.protocols.includes(r.protocol)) {
          io.noisy.error("websocket.upgrade chose a subprotocol the client did not offer; answering 500", { module: route.svc.def.name, protocol: r.protocol });
          return refuse(500, "upgrade hook chose a subprotocol the client did not offer");
        }
        protocol = r.protocol;
      }
    }
  }
  return { ok: true, status: 101, response: switchingProtocols(h.key, protocol), protocol, setState, state };
}
