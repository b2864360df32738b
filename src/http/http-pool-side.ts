/**
 * @module http/http-pool-side
 * Pool mode's side of an HTTP connection (io.worker disabled = false): the handler thread's response records applied
 * to the response in progress (http-pool-link.ts decodes them), acks for streamed chunks once the output drains, and
 * a handler thread that died. The connection (http-connection.ts) extends this layer.
 */
import {
  K_ACK, K_HTTP_RES, K_REJECT, R_CHUNK, R_CLOSE, R_DROP, R_END, R_FAIL, R_SHAPED, R_WHOLE, Reader, readResponse,
} from "../pool/pool-protocol.ts";
import { S_ERR_HANDLER } from "../stats/stat-fields.ts";
import { HttpDispatch } from "./http-dispatch.ts";
import { applyPoolResponse } from "./http-pool-link.ts";

export abstract class HttpPoolSide extends HttpDispatch {
  /** Pool mode: streamed chunks whose ack waits for the output to drain. */
  private pendingAcks = 0;

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
      if ((flags & (R_WHOLE | R_END | R_DROP)) !== 0 || (flags & (R_FAIL | R_CHUNK)) === R_FAIL) this.afterClosed();
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
      } else if ((flags & R_FAIL) !== 0 && (flags & R_SHAPED) === 0) {
        this.handlerFailed(new Error(new TextDecoder().decode(r.body)));
      } else {
        // The error hook's answer to a failed request (logged on the handler thread) counts as a handler error.
        if ((flags & R_FAIL) !== 0) this.io.stats[S_ERR_HANDLER]++;
        if (applyPoolResponse(this.res, flags, r)) {
        // The handler may stream on once this chunk is out of our way (bounded memory for slow clients).
          if (this.congested) this.pendingAcks++;
          else this.link!.send(K_ACK, this.poolNo, 0, 0);
        }
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

  protected override belowHalf(): void {
    for (; this.pendingAcks > 0; this.pendingAcks--) this.link?.send(K_ACK, this.poolNo, 0, 0);
    this.wakeDrainWaiters();
  }

}
