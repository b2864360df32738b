/**
 * @module http/http-pool-side
 * Pool mode's side of an HTTP connection (io.worker disabled = false): the handler thread's response records written
 * to the wire (wire-response.ts, as an inline hook's response), acks for streamed chunks once the output drains, and
 * a handler thread that died. The connection (http-connection.ts) extends this layer.
 */
import {
  K_HTTP_RES, R_CHUNK, R_CLOSE, R_CUT, R_DROP, R_END, R_FAIL, R_LAST, R_WHOLE, Reader, readResponse,
} from "../pool/pool-protocol.ts";
import { S_ERR_HANDLER } from "../stats/stat-fields.ts";
import { HttpDispatch } from "./http-dispatch.ts";
import { sendPoolAck } from "./http-pool-link.ts";

export abstract class HttpPoolSide extends HttpDispatch {
  /** Pool mode: streamed chunks whose ack waits for the output to drain. */
  private pendingAcks = 0;

  /** A handler thread's HTTP_RES record (pool/pool-session.ts passes on what is not a packet's reply). */
  backendRecord(kind: number, _seq: number, flags: number, bytes: Uint8Array, off: number, _len: number): void {
    if (kind !== K_HTTP_RES || !this.waiting) return;
    if (this.closed) {
      // The client left mid-request. A streaming handler waits for acks: give them, so it can finish. When the
      // response ends, the handler's close hook is owed (K_CLOSE), which onClose left to us while it was busy.
      if ((flags & R_CHUNK) !== 0) sendPoolAck(this.session);
      if ((flags & R_LAST) !== 0) this.afterClosed();
      return;
    }
    // A failure the handler thread logged and answered (a 500, or the error hook's answer) counts here.
    if ((flags & R_FAIL) !== 0) this.io.stats[S_ERR_HANDLER]++;
    const token = this.enterEvent();
    if ((flags & R_CLOSE) !== 0) this.closeAfter = true;
    if ((flags & R_DROP) !== 0) {
      this.waiting = false;
      this.drop();
    } else if ((flags & R_CUT) !== 0) this.cut();
    else {
      const r = readResponse(new Reader(bytes, off));
      if ((flags & R_WHOLE) !== 0) this.wire.whole(r.status, r.lines, r.body);
      else if ((flags & (R_CHUNK | R_END)) !== 0) {
        this.wire.stream(r.status, r.lines, r.body, (flags & R_END) !== 0);
        // The handler may stream on once this chunk is out of our way (bounded memory for slow clients).
        if ((flags & R_CHUNK) !== 0) {
          if (this.congested) this.pendingAcks++;
          else sendPoolAck(this.session);
        }
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
    for (; this.pendingAcks > 0 && this.session !== null; this.pendingAcks--) sendPoolAck(this.session);
    this.wakeDrainWaiters();
  }
}
