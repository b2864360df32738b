/**
 * @module http/request-timeouts
 * Which of the HTTP connection's waits has run out, as a pure function of its phase and clocks (the housekeeping tick
 * asks it, http-connection.ts acts on the answer): the head, the pause between body reads, the whole body, the idle
 * keep-alive wait.
 *
 * Whose time each wait measures (docs/config.md, the keys' texts in config/keys.ts): the head and body waits time the
 * client alone, what it sends (`lastRead`), never the server's own output, so a hook streaming a response while the
 * client stalls its body still gets the 408. The keep-alive wait and io.idle_timeout_ms count from the last read or
 * the last write the kernel took (`lastActive`, io/stream-output.ts): a client taking a long response is in use, and
 * the keep-alive wait begins when the response has gone out (nginx's keepalive_timeout starts there too; a peer that
 * takes nothing is cut by the unread-output check, stream-connection.ts cutIfUnread).
 */
import type { Config } from "../config/keys.ts";

/** Where a request stands: between requests, receiving its head, receiving its body. */
export const IDLE = 0;
export const HEAD = 1;
export const BODY = 2;

/** What to do: nothing, close quietly, or answer 408 for the head, the body's pause or the body's deadline. */
const T_NONE = 0;
export const T_CLOSE = 1;
export const T_HEAD = 2;
export const T_BODY_PAUSE = 3;
export const T_BODY_DEADLINE = 4;

/**
 * `phaseStart`: when the phase began; `lastRead`: the last read; `lastActive`: the last read or write progress (all on
 * the thread's coarse clock). Time the server
 * held reading a body for its hook is not the client's: lastRead restarts at the hold's end and phaseStart moves on
 * by the time held (http-body-side.ts releaseBody). The same for a full ring to a handler thread (pool mode): the head
 * or body phase moves on by the time held (http-connection.ts ringHeld), and no timeout is checked meanwhile.
 */
export function requestTimeout(
  phase: number,
  requests: number,
  now: number,
  phaseStart: number,
  lastRead: number,
  lastActive: number,
  h: Config["http"],
): number {
  if (phase === HEAD || (phase === IDLE && requests === 0)) {
    // A connection that never sends a first request is held no longer than a head that never ends.
    if (h.head_timeout_ms > 0 && now - phaseStart >= h.head_timeout_ms) return phase === HEAD ? T_HEAD : T_CLOSE;
    return T_NONE;
  }
  if (phase === BODY) {
    // RFC 9110 §15.5.9: "408 (Request Timeout) ... the server did not receive a complete request message within
    // the time that it was prepared to wait." Two waits: the pause between reads, and the whole body (phaseStart is
    // its start), so a client sending a byte just before each pause runs out cannot hold the connection for ever.
    if (h.body_timeout_ms > 0 && now - lastRead >= h.body_timeout_ms) return T_BODY_PAUSE;
    if (h.body_deadline_ms > 0 && now - phaseStart >= h.body_deadline_ms) return T_BODY_DEADLINE;
    return T_NONE;
  }
  return h.keep_alive_timeout_ms > 0 && now - lastActive >= h.keep_alive_timeout_ms ? T_CLOSE : T_NONE;
}
