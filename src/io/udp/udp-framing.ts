/**
 * @module io/udp/udp-framing
 * The UDP read path: one datagram holds one or more whole packets, cut by the module's `check`; each packet goes
 * to `proc` and each reply is queued as its own datagram back to the sender. A datagram is dropped whole (counted,
 * rate-limited log line) when it is larger than io.max_packet, empty, or when `check` finds anything but whole
 * packets in it: 0 or more than what is left (a partial packet), a negative number, or a throw. Replies to packets
 * before the bad one in the same datagram still go out: they were answered before the bad bytes were seen. A throwing
 * or rejecting `proc`, or one returning a wrong type, costs only that reply. The socket never stops.
 *
 * Counted into the thread's shared counters like TCP (packets, bytes in, reply bytes handed to the socket, bad data,
 * handler errors), so the status listener sees UDP traffic too.
 *
 * Allocation per datagram: none for a datagram that is one packet answered synchronously (the datagram itself is
 * the packet, the conn is reused); a view per packet when a datagram holds several.
 */
import type { Reply } from "../../module/types.ts";
import {
  REPLY_BAD, REPLY_LATER, REPLY_NONE, badLengthMessage, badReplyMessage, isLength, replyBytes, replyKind, settledReplyKind,
} from "../../module/hook-results.ts";
import { S_BYTES_IN, S_BYTES_OUT, S_ERR_BAD_DATA, S_ERR_HANDLER, S_PACKETS, S_PS_PUSHES, S_UDP_OVERLOADED } from "../../stats/stat-fields.ts";
import type { IoContext } from "../io-context.ts";
import type { SenderLoad, UdpService } from "./udp-conn.ts";
import { UdpConn, type UdpPusher } from "./udp-conn.ts";
import type { UdpReplyBatch } from "./udp-reply-batch.ts";

/** The largest UDP payload over IPv4; a larger reply cannot be sent as one datagram. */
export const MAX_UDP_PAYLOAD = 65_507;

/**
 * Bounds on what pending async replies hold (each keeps its datagram alive until it settles): per sender (address
 * and port) at most MAX_OWED_PER_SENDER replies and io.high_water bytes of datagrams; per listener and thread at most
 * HELD_SENDERS times that. A datagram beyond them is dropped unanswered and counted (`overloaded`), as UDP allows:
 * a sender whose replies do not come cannot make the server hold any amount of its datagrams.
 */
export const MAX_OWED_PER_SENDER = 1024;
export const HELD_SENDERS = 16;

export interface UdpStats {
  /** Datagrams received. */
  datagrams: number;
  /** Packets framed and handed to proc. */
  packets: number;
  /** Datagrams dropped because check found no whole packets (partial, negative, throw) or they were empty. */
  bad: number;
  /** Datagrams dropped for being larger than io.max_packet (or cut short by the receive buffer). */
  oversized: number;
  /** Reply datagrams the kernel took. */
  replies: number;
  /** Replies lost to the handler: proc threw, rejected, returned a wrong type or a reply too large for UDP. */
  errors: number;
  /** Replies that did not leave: refused by the kernel, or settled after the socket closed. */
  unsent: number;
  /** Errors reported by the socket itself. */
  socketErrors: number;
  /** Datagrams dropped unanswered: their sender (or the listener) already held too much in pending async replies. */
  overloaded: number;
}

export function newUdpStats(): UdpStats {
  return { datagrams: 0, packets: 0, bad: 0, oversized: 0, replies: 0, errors: 0, unsent: 0, socketErrors: 0, overloaded: 0 };
}

type Check = (buf: Uint8Array, start: number, end: number, conn: UdpConn) => number;
type Proc = (packet: Uint8Array, conn: UdpConn) => Reply | PromiseLike<Reply>;

export interface UdpFramingHost {
  /** Async replies owed went from 0 to more (true) or back to 0 (false). */
  owing(owed: boolean): void;
  /** The socket is closed: late async replies are counted as unsent. */
  readonly closed: boolean;
}

export interface DatagramHandler {
  onDatagram(d: Uint8Array, port: number, address: string): void;
  /** A datagram cut short by the receive buffer. */
  onTruncated(port: number, address: string): void;
  /** Sets the local port conns report, once the socket is bound. */
  bound(port: number): void;
  /** Async replies not yet settled. */
  readonly owed: number;
  /** Bytes of datagrams kept alive by them. */
  readonly heldBytes: number;
}

export function createDatagramHandler(io: IoContext, svc: UdpService, stats: UdpStats, batch: UdpReplyBatch, host: UdpFramingHost): DatagramHandler {
  const check = svc.def.check as Check | undefined;
  const proc = svc.def.proc as Proc;
  const maxPacket = svc.maxPacket;
  const module = svc.def.name;
  let localPort = 0;
  // conn.send: one datagram to the sender, queued like a reply (counted as a push); after close it is refused.
  const pusher: UdpPusher = {
    send(data, port, address) {
      if (host.closed) return false;
      io.stats[S_PS_PUSHES]++;
      queue(data, port, address, conn);
      return true;
    },
    publish: (topic, data, except) => io.pubsub.publish(topic, data, except),
  };
  let conn = new UdpConn(0, io.index, pusher);
  let owed = 0;
  let heldBytes = 0;
  /** Senders with async replies pending: address → port → what they hold. Empty unless async replies are owed. */
  const senders = new Map<string, Map<number, SenderLoad>>();
  const senderBytes = io.config.io.high_water;
  const totalBytes = HELD_SENDERS * senderBytes;
  const totalOwed = HELD_SENDERS * MAX_OWED_PER_SENDER;

  function warn(msg: string, c: UdpConn, bytes: number, err?: unknown): void {
    io.noisy.warn(msg, {
      module,
      remote: `${c.remoteAddress}:${c.remotePort}`,
      bytes,
    }, err);
  }

  function queue(r: Uint8Array | string, port: number, address: string, c: UdpConn): void {
    if (r.length === 0) return; // nothing to say: no datagram, as an empty TCP reply writes nothing
    const n = replyBytes(r);
    if (n > MAX_UDP_PAYLOAD) {
      stats.errors++;
      io.stats[S_ERR_HANDLER]++;
      warn(`reply of ${n} bytes does not fit in a UDP datagram; reply dropped`, c, n);
      return;
    }
    io.stats[S_BYTES_OUT] += n;
    batch.add(r, port, address);
  }

  function settle(c: UdpConn, r: unknown, err: unknown, failed: boolean): void {
    if (failed) {
      stats.errors++;
      io.stats[S_ERR_HANDLER]++;
      warn("proc rejected; reply dropped", c, 0, err);
    } else if (!c.dropping) {
      const k = settledReplyKind(r);
      if (k === REPLY_BAD) {
        stats.errors++;
        io.stats[S_ERR_HANDLER]++;
        warn(`${badReplyMessage("proc", r, true)}; reply dropped`, c, 0);
      } else if (k !== REPLY_NONE) {
        if (host.closed) stats.unsent++;
        else queue(r as Uint8Array | string, c.remotePort, c.remoteAddress, c);
      }
    }
    release(c);
    if (--owed === 0) host.owing(false);
  }

  /** One async reply of datagram `c` settled: once all have, its sender holds its bytes no more. */
  function release(c: UdpConn): void {
    const s = c.sender!;
    s.owed--;
    if (--c.owed === 0) {
      s.bytes -= c.held;
      heldBytes -= c.held;
      c.held = 0;
    }
    if (s.owed === 0) {
      const ports = senders.get(c.remoteAddress);
      ports?.delete(c.remotePort);
      if (ports?.size === 0) senders.delete(c.remoteAddress);
    }
  }

  /** The load record of `c`'s sender, made when its first async reply is owed. */
  function loadOf(c: UdpConn): SenderLoad {
    let ports = senders.get(c.remoteAddress);
    if (ports === undefined) senders.set(c.remoteAddress, (ports = new Map()));
    let s = ports.get(c.remotePort);
    if (s === undefined) ports.set(c.remotePort, (s = { owed: 0, bytes: 0 }));
    return s;
  }

  /** True when a datagram from this sender must be dropped: it (or the listener) holds too much already. */
  function overloaded(address: string, port: number): boolean {
    if (owed >= totalOwed || heldBytes >= totalBytes) return true;
    const s = senders.get(address)?.get(port);
    return s !== undefined && (s.owed >= MAX_OWED_PER_SENDER || s.bytes >= senderBytes);
  }

  function dispatch(c: UdpConn, packet: Uint8Array): void {
    stats.packets++;
    io.stats[S_PACKETS]++;
    let r: Reply | PromiseLike<Reply>;
    try {
      r = proc(packet, c);
    } catch (err) {
      stats.errors++;
      io.stats[S_ERR_HANDLER]++;
      warn("proc threw; reply dropped", c, packet.length, err);
      return;
    }
    if (c.dropping) return;
    const k = replyKind(r);
    if (k === REPLY_NONE) return;
    if (k === REPLY_LATER) {
      // The proc keeps `c` (and `packet`, a view of this datagram's own memory) until the Promise settles.
      c.loaned = true;
      c.sender ??= loadOf(c);
      c.sender.owed++;
      c.owed++;
      if (owed++ === 0) host.owing(true);
      (r as PromiseLike<Reply>).then(
        (v) => settle(c, v, undefined, false),
        (e: unknown) => settle(c, undefined, e, true),
      );
    } else if (k === REPLY_BAD) {
      stats.errors++;
      io.stats[S_ERR_HANDLER]++;
      warn(`${badReplyMessage("proc", r)}; reply dropped`, c, packet.length);
    } else queue(r as Uint8Array | string, c.remotePort, c.remoteAddress, c);
  }

  function onDatagram(d: Uint8Array, port: number, address: string): void {
    stats.datagrams++;
    io.stats[S_BYTES_IN] += d.length;
    const len = d.length;
    const c = conn;
    c.reset(io.newConnId(), address, port);
    if (len > maxPacket) {
      stats.oversized++;
      io.stats[S_ERR_BAD_DATA]++;
      warn(`datagram of ${len} bytes is larger than io.max_packet (${maxPacket}); dropped`, c, len);
      return;
    }
    if (len === 0) {
      stats.bad++;
      io.stats[S_ERR_BAD_DATA]++;
      warn("empty datagram (no packet in it); dropped", c, 0);
      return;
    }
    if (owed !== 0 && overloaded(address, port)) {
      stats.overloaded++;
      io.stats[S_UDP_OVERLOADED]++;
      warn("sender owes too many async replies (or the listener does); datagram dropped", c, len);
      return;
    }
    if (check === undefined) dispatch(c, d);
    else {
      let off = 0;
      for (;;) {
        let n: number;
        try {
          n = check(d, off, len, c);
        } catch (err) {
          stats.bad++;
          io.stats[S_ERR_BAD_DATA]++;
          warn("check threw (bad data); rest of datagram dropped", c, len, err);
          break;
        }
        if (!isLength(n)) {
          stats.bad++;
          io.stats[S_ERR_BAD_DATA]++;
          warn(`${badLengthMessage(n)} at byte ${off}; rest of datagram dropped`, c, len);
          break;
        }
        if (!(n > 0) || n > len - off) {
          stats.bad++;
          io.stats[S_ERR_BAD_DATA]++;
          const why = n === 0 || n > len - off ? `a partial packet at byte ${off} (check returned ${n})` : `bad data at byte ${off} (check returned ${n})`;
          warn(`datagram holds ${why}; rest of datagram dropped`, c, len);
          break;
        }
        dispatch(c, off === 0 && n === len ? d : d.subarray(off, off + n));
        off += n;
        if (off >= len || c.stopped) break;
      }
    }
    // An async proc holds this conn: leave it to it and take a fresh one for the next datagram. Its datagram stays
    // alive until the last of its async replies settles: counted against the sender until then.
    if (c.loaned) {
      if (c.owed > 0) {
        c.held = len;
        c.sender!.bytes += len;
        heldBytes += len;
      }
      conn = new UdpConn(localPort, io.index, pusher);
    }
  }

  return {
    onDatagram,
    onTruncated(port, address) {
      stats.datagrams++;
      stats.oversized++;
      io.stats[S_ERR_BAD_DATA]++;
      conn.reset(io.newConnId(), address, port);
      warn("datagram larger than the receive buffer (truncated); dropped", conn, 0);
    },
    bound(port) {
      localPort = port;
      conn = new UdpConn(port, io.index, pusher);
    },
    get owed() {
      return owed;
    },
    get heldBytes() {
      return heldBytes;
    },
  };
}
