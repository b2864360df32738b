/**
 * @module pool/pool-session
 * One stream connection's state in pool mode, held by the connection opaquely (`BackendConn.session`,
 * io/backend.ts): its number in ring records, the link to the handler thread it is pinned to, and the replies that
 * thread owes, by sequence number, each a slot reserved in the connection's reply line (io/tcp/reply-line.ts). It is
 * the pool client's endpoint for that number (pool-client.ts): REPLY records fill their slot, REJECT is a refusal by
 * `accept`, HTTP responses go to the connection as response pieces (pool-http.ts), and a lost handler
 * thread or a full ring is passed on.
 */
import { errorFromWire } from "../errors.ts";
import type { BackendConn, PacketConn } from "../io/backend.ts";
import type { Slot } from "../io/tcp/reply-line.ts";
import type { PoolEndpoint } from "./pool-client.ts";
import type { PoolBodyFeed } from "./pool-body.ts";
import { httpRecord } from "./pool-http.ts";
import { K_REJECT, K_REPLY, R_CLOSE, R_DROP, R_EMPTY, R_FAIL, R_PART } from "./pool-protocol.ts";
import type { RingLink } from "./ring-link.ts";

const dec = new TextDecoder();

export class PoolSession implements PoolEndpoint {
  /** Its number in ring records (set by PoolClient#attach). */
  poolNo = 0;
  /** The link to its handler thread; it keeps it when the handler is recycled (the faulted thread still answers). */
  link: RingLink | null = null;
  /** Replies owed by the handler thread, by sequence number; parts of a reply larger than one record. */
  private owed: Map<number, Slot> | null = null;
  private parts: Map<number, Uint8Array[]> | null = null;
  private seq = 0;
  /** The sequence number of the `draining` call (0 = none): its failure is named after that hook. */
  drainSeq = 0;
  /** An HTTP request body being streamed to the handler (pool-http.ts); null: none yet. */
  body: PoolBodyFeed | null = null;

  /** `conn` changes once, when a WebSocket takes over its HTTP connection (PoolModule#adopt). */
  constructor(public conn: BackendConn) {}

  /** Sends a record whose answer takes its place in the connection's line now; returns its sequence number. */
  sendInLine(kind: number, packet: Uint8Array | null): number {
    const seq = (this.seq = (this.seq + 1) | 0);
    (this.owed ??= new Map()).set(seq, (this.conn as PacketConn).reserve(packet === null ? 0 : packet.length));
    if (packet === null) this.link!.send(kind, this.poolNo, seq, 0);
    else this.link!.send(kind, this.poolNo, seq, 0, packet, 0, packet.length);
    return seq;
  }

  /** Sends a record outside the line (an HTTP request or ack, CLOSE). */
  send(kind: number, seq = 0, flags = 0): void {
    this.link!.send(kind, this.poolNo, seq, flags);
  }

  poolRecord(kind: number, seq: number, flags: number, bytes: Uint8Array, off: number, len: number): void {
    if (kind === K_REJECT) return this.conn.refusedLater((flags & R_FAIL) !== 0);
    if (kind !== K_REPLY) return httpRecord(this.conn, kind, seq, flags, bytes, off);
    const slot = this.owed?.get(seq);
    if (slot === undefined) return;
    if ((flags & R_PART) !== 0) {
      const parts = (this.parts ??= new Map());
      const list = parts.get(seq);
      if (list === undefined) parts.set(seq, [bytes.slice(off, off + len)]);
      else list.push(bytes.slice(off, off + len));
      return;
    }
    this.owed!.delete(seq);
    const c = this.conn as PacketConn;
    const hook = seq === this.drainSeq ? "draining" : "proc";
    // The handler's proc called drop(): this reply and later ones are discarded, earlier ones still go out.
    if ((flags & R_DROP) !== 0) c.dropFrom(slot);
    if ((flags & R_FAIL) !== 0) {
      this.parts?.delete(seq);
      c.settle(slot, errorFromWire(dec.decode(bytes.subarray(off, off + len))), true, hook);
      return;
    }
    let value: Uint8Array | undefined = (flags & R_EMPTY) !== 0 ? undefined : bytes.slice(off, off + len);
    const parts = this.parts?.get(seq);
    if (parts !== undefined) {
      this.parts!.delete(seq);
      if (value !== undefined) parts.push(value);
      value = Buffer.concat(parts);
    }
    c.settle(slot, value, false, hook);
    if ((flags & R_CLOSE) !== 0) c.close();
  }

  /** A push the handler made while packet `seq`'s proc ran: it leaves just before that packet's reply. */
  pushBefore(seq: number, data: Uint8Array): boolean {
    return (this.conn as PacketConn).pushBefore(this.owed?.get(seq), data);
  }

  handlerLost(): void {
    // Nothing owed will come: the connection closes with what was already answered.
    this.owed = null;
    this.parts = null;
    this.conn.handlerLost();
  }

  ringBlocked(): void {
    this.conn.backendBlocked();
  }

  ringUnblocked(): void {
    this.conn.backendUnblocked();
  }
}
