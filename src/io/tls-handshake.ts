/**
 * @module io/tls-handshake
 * The TLS handshake deadline (`tls.handshake_timeout_ms`). Bun calls a TLS listener's `open` at TCP accept, before
 * any ClientHello, and `handshake` once the handshake ends (measured: open, then handshake(success) when the client
 * finishes, or handshake(false) when it fails). A client that connects and never says anything would hold its file
 * descriptor for ever (1,100 of them locked every HTTPS client out at a 1,024-fd limit, issue 12), so each TLS
 * connection is noted here at open and forgotten at handshake or close; the thread's housekeeping tick closes the
 * ones still pending at their deadline and counts them. One map entry per TLS connection, only until it has
 * handshaken: nothing on the data path.
 */
import { S_TLS_HANDSHAKE_FAILED, S_TLS_HANDSHAKE_TIMEOUTS } from "../stats/stat-fields.ts";
import type { RateLimitedLog } from "../log/logger.ts";

/** What the deadlines use of the thread's IoContext (named here because io-context.ts holds a HandshakeDeadlines). */
export interface HandshakeIo {
  readonly clock: number;
  readonly stats: Float64Array;
  readonly noisy: RateLimitedLog;
}

/** What a pending connection must offer: the reason is mapped to `tls_handshake_timeout` by stream-connection.ts. */
export interface HandshakePending {
  readonly remoteAddress: string;
  terminate(reason: string): void;
}

const HANDSHAKE_TIMEOUT_REASON = "TLS handshake not finished in time";

export class HandshakeDeadlines {
  /** Pending connections and their deadlines, in opening order (so in deadline order: one timeout for all). */
  private readonly pending = new Map<HandshakePending, number>();

  constructor(
    private readonly io: HandshakeIo,
    private readonly timeoutMs: number,
  ) {}

  opened(c: HandshakePending): void {
    if (this.timeoutMs > 0) this.pending.set(c, this.io.clock + this.timeoutMs);
  }

  /** Bun's handshake callback: a failed handshake is counted (Bun closes the socket itself). */
  done(c: HandshakePending, success: boolean): void {
    this.pending.delete(c);
    if (!success) this.io.stats[S_TLS_HANDSHAKE_FAILED]++;
  }

  closed(c: HandshakePending): void {
    this.pending.delete(c);
  }

  /** Housekeeping: closes the connections whose deadline has passed. */
  sweep(now: number): void {
    for (const [c, deadline] of this.pending) {
      if (deadline > now) break;
      this.pending.delete(c);
      this.io.stats[S_TLS_HANDSHAKE_TIMEOUTS]++;
      this.io.noisy.warn("TLS handshake not finished within tls.handshake_timeout_ms; connection closed", { remote: c.remoteAddress, timeout_ms: this.timeoutMs });
      c.terminate(HANDSHAKE_TIMEOUT_REASON);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
