/**
 * @module http/http-rare
 * What an HTTP connection needs only on rare paths: a request refused from inside the parser, acks held for a slow
 * client (pool mode), a streamed body held for its hook, `res.drained()` callers, a reload drain, a WebSocket upgrade.
 * Made on first use (http-dispatch.ts `rare`): an idle keep-alive connection holds one null field for all of them.
 * The stream connection's own rare state (io/conn-rare.ts: read gate, topics, ...) is its base: one field of the
 * connection for both. Every field is memory of every connection (issue 17): a connection object of 19 to 26 fields
 * takes 224 bytes of heap, one of 27 to 30 takes 256 (docs/platform-notes.md).
 */
import { ConnRare } from "../io/conn-rare.ts";
import type { RejectStatus } from "./http-errors.ts";
import type { UpgradeDecision } from "./ws-upgrade.ts";

export class HttpRare extends ConnRare {
  /** Status to answer when a parser callback stopped llhttp (http-connection.ts). */
  reject: RejectStatus | 0 = 0;
  /** Streamed pieces whose ack waits for the output to drain (http-backend-side.ts). */
  pendingAcks = 0;
  /** Reading stopped because a streamed body's feed is full (http-body-side.ts). */
  bodyPaused = false;
  /** When reading was held for a streamed body's hook, on the thread's coarse clock (http-body-side.ts). */
  heldSince = 0;
  /** Handlers waiting in `res.drained()` (http-dispatch.ts). */
  drainWaiters: Array<() => void> | null = null;
  /** Reload drain: an idle connection is closed after a while (http-connection.ts). */
  movingOn = false;
  /** The accepted upgrade whose 101 is corked, what the client sent after its handshake, an upgrade hook running (http-ws-side.ts). */
  wsNext: Extract<UpgradeDecision, { ok: true }> | null = null;
  wsRest: Uint8Array | null = null;
  wsPending = false;
}
