/**
 * @module pool/udp-pool-bridge
 * UDP in pool mode: each packet of a datagram crosses to a handler thread as a DATAGRAM record (the sender travels
 * with it) and its reply comes back as a REPLY; to the UDP read path this looks like an async `proc`, so owed
 * replies, drain and sending work unchanged. Senders are pinned to a handler by address and port, so one client's
 * datagrams are handled in order by one thread. The record carries the sender's conn id, so a handler's `conn.send`
 * on that conn, at any time, is a PS_SEND to the I/O thread (pooled-conn.ts), which sends it as a push. A handler thread that dies fails its owed replies (they are dropped
 * and counted, as a throwing proc's would be); until it is replaced its senders go to the next live handler.
 */
import { errorFromWire, grocketdError } from "../errors.ts";
import type { Conn, Reply } from "../module/types.ts";
import type { PoolClient, PoolEndpoint } from "./pool-client.ts";
import { D_FIRST, K_DATAGRAM, K_OPEN, K_REPLY, R_DROP, R_EMPTY, R_FAIL, R_PART, Writer, connInfoSize, writeConnInfo } from "./pool-protocol.ts";

/** The sender's conn on the I/O thread (io/udp/udp-conn.ts): where its datagram starts, and its drop(). */
type SenderConn = Conn<unknown> & { firstPacket?: boolean };

interface Owed {
  resolve(v: Reply): void;
  reject(err: unknown): void;
  conn: SenderConn;
  parts?: Uint8Array[];
}

/** One per handler lane: the endpoint that owns this listener's records on that lane. */
class Lane implements PoolEndpoint {
  poolNo = 0;
  private seq = 0;
  owed = new Map<number, Owed>();
  /** Replies still owed by a recycled handler thread draining beside its replacement (seqs never repeat). */
  private oldOwed = new Map<number, Owed>();

  constructor(
    private readonly pool: PoolClient,
    private readonly index: number,
    private readonly open: (lane: Lane) => void,
  ) {
    pool.attach(this, index);
    open(this);
  }

  send(packet: Uint8Array, conn: SenderConn): Promise<Reply> {
    const seq = (this.seq = (this.seq + 1) | 0);
    const address = conn.remoteAddress;
    const first = conn.firstPacket === true ? D_FIRST : 0;
    conn.firstPacket = false;
    return new Promise<Reply>((resolve, reject) => {
      this.owed.set(seq, { resolve, reject, conn });
      this.pool.linkOf(this).sendEncoded(K_DATAGRAM, this.poolNo, seq, first, 8 + 2 + 4 + address.length + packet.length, (w: Writer) => {
        w.f64(conn.id); // the sender's conn id: the handler's conn.send reaches it by id (PS_SEND)
        w.u16(conn.remotePort);
        w.latin1(address);
        w.buf.set(packet, w.off);
        w.off += packet.length;
      });
    });
  }

  poolRecord(kind: number, seq: number, flags: number, bytes: Uint8Array, off: number, len: number): void {
    if (kind !== K_REPLY) return;
    const from = this.owed.has(seq) ? this.owed : this.oldOwed;
    const o = from.get(seq);
    if (o === undefined) return;
    if ((flags & R_PART) !== 0) {
      (o.parts ??= []).push(bytes.slice(off, off + len));
      return;
    }
    from.delete(seq);
    // drop() on the handler: as inline, this reply and every async reply owed to the sender are discarded. The
    // drop waits a microtask, so replies that came back before it (settled ahead of it) are not taken for owed ones.
    if ((flags & R_DROP) !== 0) {
      const conn = o.conn;
      queueMicrotask(() => conn.drop());
      return o.resolve(undefined);
    }
    if ((flags & R_FAIL) !== 0) return o.reject(errorFromWire(new TextDecoder().decode(bytes.subarray(off, off + len))));
    if ((flags & R_EMPTY) !== 0) return o.resolve(undefined);
    const last = bytes.slice(off, off + len);
    o.resolve(o.parts ? Buffer.concat([...o.parts, last]) : last);
  }

  handlerLost(): void {
    const err = grocketdError("GRK_ERR_HANDLER_LOST", "died", {});
    for (const o of this.owed.values()) o.reject(err);
    this.owed.clear();
    // The listener lives on: rejoin this lane when the replacement's rings arrive (meanwhile others serve).
    this.pool.whenOpen(this.index, () => {
      this.pool.attach(this, this.index);
      this.open(this);
    });
  }

  // Recycled: datagrams from now on go to the replacement; the faulted thread still answers what it was sent.
  handlerRecycled(): void {
    for (const [seq, o] of this.owed) this.oldOwed.set(seq, o);
    this.owed = new Map();
    this.pool.attach(this, this.index);
    this.open(this);
  }

  generationRetired(): void {
    const err = grocketdError("GRK_ERR_HANDLER_LOST", "retired", {});
    for (const o of this.oldOwed.values()) o.reject(err);
    this.oldOwed.clear();
  }

  get alive(): boolean {
    return this.pool.isOpen(this.index);
  }

  // A full ring backs the UDP socket up in the kernel; datagrams beyond its buffer are lost, as UDP allows.
  ringBlocked(): void {}
  ringUnblocked(): void {}
}

/** The `proc` a UDP listener uses in pool mode. */
export function udpPoolProc(pool: PoolClient, moduleIndex: number, localPort: () => number, thread: number): (packet: Uint8Array, conn: SenderConn) => Promise<Reply> {
  // Made at the first datagram, not now: the socket is bound after this proc is built, and each lane's OPEN record
  // tells the handler the local port its conns report.
  let made: Lane[] | null = null;
  const makeLanes = (): Lane[] => {
    const lanes: Lane[] = [];
    for (let j = 0; j < pool.handlers; j++) {
      lanes.push(
        new Lane(pool, j, (lane) => {
          const info = { module: moduleIndex, id: 0, protocol: "udp" as const, remoteAddress: "", remotePort: 0, localPort: localPort(), thread };
          pool.linkOf(lane).sendEncoded(K_OPEN, lane.poolNo, 0, 0, connInfoSize(info), (w) => writeConnInfo(w, info));
        }),
      );
    }
    return lanes;
  };
  const n = pool.handlers;
  return (packet, conn) => {
    const lanes = (made ??= makeLanes());
    let h = conn.remotePort;
    const a = conn.remoteAddress;
    for (let i = 0; i < a.length; i++) h = (h * 31 + a.charCodeAt(i)) | 0;
    // A sender whose handler is dead (restarting) goes to the next live one: UDP keeps no per-sender state.
    for (let k = 0, j = (h >>> 0) % n; k < n; k++, j = (j + 1) % n) if (lanes[j]!.alive) return lanes[j]!.send(packet, conn);
    return Promise.reject(grocketdError("GRK_ERR_HANDLER_LOST", "none", {}));
  };
}
