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
 * Allocation per datagram: none for a datagram from a known sender that is one packet answered synchronously (the
 * datagram itself is the packet, the conn is the sender's, udp-senders.ts); a view per packet when a datagram holds
 * several.
 *
 * Push (`conn.send`, `ctx.send(id)`): one datagram to the sender, any time until its entry expires. A push made while
 * replies are owed to that sender waits for them (bounded like them: MAX_OWED_PER_SENDER pushes, io.high_water
 * bytes; beyond that the push is refused) and leaves once none is owed, so it never overtakes a reply owed before it.
 */
import type { Reply } from "../../module/types.ts";
import {
  REPLY_BAD, REPLY_LATER, REPLY_NONE, badLengthMessage, badReplyMessage, isLength, replyBytes, replyKind, settledReplyKind,
} from "../../module/hook-results.ts";
import { S_BYTES_IN, S_BYTES_OUT, S_ERR_BAD_DATA, S_ERR_HANDLER, S_PACKETS, S_PS_PUSHES, S_UDP_OVERLOADED } from "../../stats/stat-fields.ts";
import type { IoContext } from "../io-context.ts";
import type { UdpConn, UdpPusher, UdpService } from "./udp-conn.ts";
import type { UdpReplyBatch } from "./udp-reply-batch.ts";
import { UdpSenders } from "./udp-senders.ts";

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
  /** Pushes refused: larger than a datagram, or too many already waiting for the sender's owed replies. */
  pushRefused: number;
}

/** One datagram's async replies not settled yet, the bytes it keeps alive, and the sender's drop count at its time. */
interface Held {
  owed: number;
  bytes: number;
  gen: number;
}

export function newUdpStats(): UdpStats {
  return { datagrams: 0, packets: 0, bad: 0, oversized: 0, replies: 0, errors: 0, unsent: 0, socketErrors: 0, overloaded: 0, pushRefused: 0 };
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
  /** The senders' conns (swept by the listener, cleared when it closes). */
  readonly senders: UdpSenders;
}

export function createDatagramHandler(io: IoContext, svc: UdpService, stats: UdpStats, batch: UdpReplyBatch, host: UdpFramingHost): DatagramHandler {
  const check = svc.def.check as Check | undefined;
  const proc = svc.def.proc as Proc;
  const maxPacket = svc.maxPacket;
  const module = svc.def.name;
  const senders = new UdpSenders(io, io.config.io.idle_timeout_ms);
  const senderBytes = io.config.io.high_water;
  const totalBytes = HELD_SENDERS * senderBytes;
  const totalOwed = HELD_SENDERS * MAX_OWED_PER_SENDER;
  let warnedPushSize = false;
  // conn.send / ctx.send(id): one datagram to the sender (see the header); refused after close or expiry.
  const pusher: UdpPusher = {
    send(c, data, count) {
      if (host.closed || senders.stale(c, io.clock)) return false;
      const n = replyBytes(data);
      if (n > MAX_UDP_PAYLOAD) {
        stats.pushRefused++;
        if (!warnedPushSize) {
          warnedPushSize = true;
          warn(`push of ${n} bytes does not fit in a UDP datagram (max ${MAX_UDP_PAYLOAD}); refused (logged once)`, c.remoteAddress, c.remotePort, n);
        }
        return false;
      }
      if (n === 0) return true;
      if (c.owed !== 0) {
        const q = (c.pending ??= []);
        if (q.length >= MAX_OWED_PER_SENDER || c.pendingBytes + n > senderBytes) {
          stats.pushRefused++;
          return false;
        }
        // A copy: the caller may reuse its buffer before the owed replies settle.
        q.push(typeof data === "string" ? data : new Uint8Array(data));
        c.pendingBytes += n;
      } else {
        io.stats[S_BYTES_OUT] += n;
        batch.add(data, c.remotePort, c.remoteAddress);
      }
      if (count) io.stats[S_PS_PUSHES]++;
      return true;
    },
    publish: (topic, data, except) => io.pubsub.publish(topic, data, except),
  };
  senders.pusher = pusher;
  let owed = 0;
  let heldBytes = 0;
  /** The current datagram's async replies (made at the first one). */
  let held: Held | null = null;

  function warn(msg: string, address: string, port: number, bytes: number, err?: unknown): void {
    io.noisy.warn(msg, {
      module,
      remote: `${address}:${port}`,
      bytes,
    }, err);
  }

  function queue(r: Uint8Array | string, port: number, address: string, c: UdpConn): void {
    if (r.length === 0) return; // nothing to say: no datagram, as an empty TCP reply writes nothing
    const n = replyBytes(r);
    if (n > MAX_UDP_PAYLOAD) {
      stats.errors++;
      io.stats[S_ERR_HANDLER]++;
      warn(`reply of ${n} bytes does not fit in a UDP datagram; reply dropped`, c.remoteAddress, c.remotePort, n);
      return;
    }
    io.stats[S_BYTES_OUT] += n;
    batch.add(r, port, address);
  }

  function settle(c: UdpConn, h: Held, r: unknown, err: unknown, failed: boolean): void {
    if (failed) {
      stats.errors++;
      io.stats[S_ERR_HANDLER]++;
      warn("proc rejected; reply dropped", c.remoteAddress, c.remotePort, 0, err);
    } else if (c.dropGen === h.gen) {
      const k = settledReplyKind(r);
      if (k === REPLY_BAD) {
        stats.errors++;
        io.stats[S_ERR_HANDLER]++;
        warn(`${badReplyMessage("proc", r, true)}; reply dropped`, c.remoteAddress, c.remotePort, 0);
      } else if (k !== REPLY_NONE) {
        if (host.closed) stats.unsent++;
        else queue(r as Uint8Array | string, c.remotePort, c.remoteAddress, c);
      }
    }
    release(c, h);
    if (--owed === 0) host.owing(false);
  }

  /** One async reply to `c` settled: once all of its datagram's have, it holds the datagram's bytes no more; once
   * none is owed to the sender, the pushes that waited for them leave. */
  function release(c: UdpConn, h: Held): void {
    c.owed--;
    if (--h.owed === 0) {
      c.bytes -= h.bytes;
      heldBytes -= h.bytes;
      h.bytes = 0;
    }
    const q = c.pending;
    if (c.owed !== 0 || q === null) return;
    c.pending = null;
    c.pendingBytes = 0;
    if (host.closed || c.expired) return;
    for (const d of q) {
      io.stats[S_BYTES_OUT] += replyBytes(d);
      batch.add(d, c.remotePort, c.remoteAddress);
    }
  }

  /** True when a datagram from this sender must be dropped: it (or the listener) holds too much already. */
  function overloaded(c: UdpConn): boolean {
    if (owed >= totalOwed || heldBytes >= totalBytes) return true;
    return c.owed >= MAX_OWED_PER_SENDER || c.bytes >= senderBytes;
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
      warn("proc threw; reply dropped", c.remoteAddress, c.remotePort, packet.length, err);
      return;
    }
    if (c.dropping) return;
    const k = replyKind(r);
    if (k === REPLY_NONE) return;
    if (k === REPLY_LATER) {
      // The proc keeps `packet` (a view of this datagram's own memory) until the Promise settles.
      const h = (held ??= { owed: 0, bytes: 0, gen: c.dropGen });
      h.owed++;
      c.owed++;
      if (owed++ === 0) host.owing(true);
      (r as PromiseLike<Reply>).then(
        (v) => settle(c, h, v, undefined, false),
        (e: unknown) => settle(c, h, undefined, e, true),
      );
    } else if (k === REPLY_BAD) {
      stats.errors++;
      io.stats[S_ERR_HANDLER]++;
      warn(`${badReplyMessage("proc", r)}; reply dropped`, c.remoteAddress, c.remotePort, packet.length);
    } else queue(r as Uint8Array | string, c.remotePort, c.remoteAddress, c);
  }

  function onDatagram(d: Uint8Array, port: number, address: string): void {
    stats.datagrams++;
    io.stats[S_BYTES_IN] += d.length;
    const len = d.length;
    if (len > maxPacket) {
      stats.oversized++;
      io.stats[S_ERR_BAD_DATA]++;
      warn(`datagram of ${len} bytes is larger than io.max_packet (${maxPacket}); dropped`, address, port, len);
      return;
    }
    if (len === 0) {
      stats.bad++;
      io.stats[S_ERR_BAD_DATA]++;
      warn("empty datagram (no packet in it); dropped", address, port, 0);
      return;
    }
    const c = senders.get(address, port, io.clock);
    if (owed !== 0 && overloaded(c)) {
      stats.overloaded++;
      io.stats[S_UDP_OVERLOADED]++;
      warn("sender owes too many async replies (or the listener does); datagram dropped", address, port, len);
      return;
    }
    c.stopped = false;
    c.dropping = false;
    c.firstPacket = true;
    held = null;
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
          warn("check threw (bad data); rest of datagram dropped", address, port, len, err);
          break;
        }
        if (!isLength(n)) {
          stats.bad++;
          io.stats[S_ERR_BAD_DATA]++;
          warn(`${badLengthMessage(n)} at byte ${off}; rest of datagram dropped`, address, port, len);
          break;
        }
        if (!(n > 0) || n > len - off) {
          stats.bad++;
          io.stats[S_ERR_BAD_DATA]++;
          const why = n === 0 || n > len - off ? `a partial packet at byte ${off} (check returned ${n})` : `bad data at byte ${off} (check returned ${n})`;
          warn(`datagram holds ${why}; rest of datagram dropped`, address, port, len);
          break;
        }
        dispatch(c, off === 0 && n === len ? d : d.subarray(off, off + n));
        off += n;
        if (off >= len || c.stopped) break;
      }
    }
    // Its datagram stays alive until the last of its async replies settles: counted against the sender until then.
    const h = held as Held | null; // set by dispatch
    if (h !== null) {
      held = null;
      h.bytes = len;
      c.bytes += len;
      heldBytes += len;
    }
  }

  return {
    onDatagram,
    onTruncated(port, address) {
      stats.datagrams++;
      stats.oversized++;
      io.stats[S_ERR_BAD_DATA]++;
      warn("datagram larger than the receive buffer (truncated); dropped", address, port, 0);
    },
    bound(port) {
      senders.localPort = port;
    },
    senders,
    get owed() {
      return owed;
    },
    get heldBytes() {
      return heldBytes;
    },
  };
}
