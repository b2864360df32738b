/**
 * @module http/http-backend-side
 * What the connection's backend reports back (http-backend.ts), for a request answered elsewhere (a handler thread):
 * the response's pieces written to the wire (wire-response.ts, as an inline hook's response), acks for streamed
 * pieces once the output drains, and a handler thread that died. The connection (http-connection.ts) extends this
 * layer.
 */
import { S_ERR_HANDLER } from "../stats/stat-fields.ts";
import {
  RESPONSE_CHUNK, RESPONSE_CLOSE, RESPONSE_CUT, RESPONSE_DROP, RESPONSE_END, RESPONSE_FAIL, RESPONSE_LAST, RESPONSE_WHOLE, type HttpBackendConn,
} from "./http-backend.ts";
import { HttpDispatch } from "./http-dispatch.ts";

export abstract class HttpBackendSide extends HttpDispatch implements HttpBackendConn {
  response(flags: number, status: number, lines: string, body: Uint8Array): void {
    if (!this.waiting) return;
    const backend = this.listener.httpBackend;
    if (this.closed) {
      // The client left mid-request. A streaming handler waits for acks: give them, so it can finish. When the
      // response ends, the handler's close hook is owed, which onClose left to us while it was busy.
      if ((flags & RESPONSE_CHUNK) !== 0) backend.ack(this);
      if ((flags & RESPONSE_LAST) !== 0) this.afterClosed();
      return;
    }
    // A failure the handler thread logged and answered (a 500, or the error hook's answer) counts here.
    if ((flags & RESPONSE_FAIL) !== 0) this.io.stats[S_ERR_HANDLER]++;
    const token = this.enterEvent();
    if ((flags & RESPONSE_CLOSE) !== 0) this.closeAfter = true;
    if ((flags & RESPONSE_DROP) !== 0) {
      this.waiting = false;
      this.drop();
    } else if ((flags & RESPONSE_CUT) !== 0) this.cut();
    else if ((flags & RESPONSE_WHOLE) !== 0) this.wire.whole(status, lines, body);
    else if ((flags & (RESPONSE_CHUNK | RESPONSE_END)) !== 0) {
      this.wire.stream(status, lines, body, (flags & RESPONSE_END) !== 0);
      // The handler may stream on once this piece is out of our way (bounded memory for slow clients).
      if ((flags & RESPONSE_CHUNK) !== 0) {
        if (this.congested) this.rare.pendingAcks++; // acked once the output drains
        else backend.ack(this);
      }
    }
    this.leaveEvent(token);
  }

  handlerLost(): void {
    if (this.closed) {
      this.waiting = false;
      this.runCloseHook();
      return;
    }
    this.closeAfter = true;
    if (this.waiting && !this.wire.headersSent) {
      const token = this.enterEvent();
      this.exchange.respondError(503);
      this.leaveEvent(token);
    } else if (this.waiting) {
      this.waiting = false;
      this.terminate("handler thread died mid-response");
    } else this.close();
  }

  protected override belowHalf(): void {
    const r = this.rareMade;
    if (r !== null) for (; r.pendingAcks > 0; r.pendingAcks--) this.listener.httpBackend.ack(this);
    this.wakeDrainWaiters();
  }
}
