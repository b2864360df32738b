/**
 * @module http/http-ws-side
 * A WebSocket upgrade on an HTTP connection: ws-upgrade.ts decides, this layer writes the answer and, once the 101 is
 * out, hands the socket to ws/ws-connection.ts with what the client sent after its handshake. The connection
 * (http-connection.ts) extends this layer; the parser lives here because the upgrade ends it.
 */
import { statusClassField } from "../stats/stat-fields.ts";
import { WsConnection } from "../ws/ws-connection.ts";
import type { HttpAccessLine } from "./access-line.ts";
import { HttpPoolSide } from "./http-pool-side.ts";
import { ParseResult, type RequestParser } from "./llhttp/parser.ts";
import type { UpgradeDecision } from "./ws-upgrade.ts";

export abstract class HttpWsSide extends HttpPoolSide {
  protected parser: RequestParser | null = null;
  /** The access-log line, when the log is on. */
  protected access: HttpAccessLine | null = null;
  protected wsNext: Extract<UpgradeDecision, { ok: true }> | null = null;
  protected wsRest: Uint8Array | null = null;

  protected upgrade(d: UpgradeDecision): number {
    const f = statusClassField(d.status);
    if (f >= 0) this.io.stats[f]++;
    this.access?.line(d.status, 0, performance.now());
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
    const route = this.hs.ws!;
    this.wsNext = null;
    const rest = this.wsRest;
    this.wsRest = null;
    this.parser?.destroy();
    this.parser = null;
    const w = new WsConnection(this, route.svc, route.proc, d.protocol);
    if (d.setState) w.state = d.state;
    (this.socket as { data: unknown }).data = w;
    w.start(rest);
  }
}
