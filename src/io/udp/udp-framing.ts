/**
 * @module io/udp/udp-framing
 * The UDP read path: one datagram holds one or more whole packets, cut by the module's `check`; each packet goes
 * to `proc` (module/hook-calls.ts calls it, as for every transport) and each reply is queued as its own datagram back
 * to the sender (udp-replies.ts). A datagram is dropped whole (counted, rate-limited log line) when it is larger than
 * io.max_packet, empty, when its sender already holds too much in pending async replies, or when `check` finds
 * anything but whole packets in it: 0 or more than what is left (a partial packet), a negative number, or a throw.
 * Replies to packets before the bad one in the same datagram still go out: they were answered before the bad bytes
 * were seen. The socket never stops.
 *
 * Counted into the thread's shared counters like TCP (packets, bytes in, reply bytes handed to the socket, bad data,
 * handler errors), so the status listener sees UDP traffic too.
 *
 * Allocation per datagram: none for a datagram from a known sender that is one packet answered synchronously (the
 * datagram itself is the packet, the conn is the sender's, udp-senders.ts); a view per packet when a datagram holds
 * several.
 */
import { callProc, type ProcHook } from "../../module/hook-calls.ts";
import { badLengthMessage, isLength } from "../../module/hook-results.ts";
import { S_BYTES_IN, S_ERR_BAD_DATA, S_PACKETS, S_UDP_OVERLOADED } from "../../stats/stat-fields.ts";
import type { IoContext } from "../io-context.ts";
import type { UdpConn, UdpService } from "./udp-conn.ts";
import type { UdpReplyBatch } from "./udp-reply-batch.ts";
import { UdpReplies, type UdpFramingHost, type UdpStats } from "./udp-replies.ts";
import { UdpSenders } from "./udp-senders.ts";

type Check = (buf: Uint8Array, start: number, end: number, conn: UdpConn) => number;

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

export function createDatagramHandler(io: IoContext, service: UdpService, stats: UdpStats, batch: UdpReplyBatch, host: UdpFramingHost): DatagramHandler {
  const check = service.def.check as Check | undefined;
  const proc = service.def.proc as ProcHook;
  const maxPacket = service.maxPacket;
  const module = service.def.name;
  const senders = new UdpSenders(io, io.config.io.idle_timeout_ms);
  const replies = new UdpReplies(io, stats, batch, host, senders, module);
  senders.pusher = replies;

  function warn(msg: string, address: string, port: number, bytes: number, err?: unknown): void {
    io.noisy.warn(msg, { module, remote: `${address}:${port}`, bytes }, err);
  }

  function dispatch(c: UdpConn, packet: Uint8Array): void {
    stats.packets++;
    io.stats[S_PACKETS]++;
    replies.packetOf(packet.length);
    if (callProc(replies, proc, c, packet)) replies.echo(c, packet);
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
    if (replies.owed !== 0 && replies.overloaded(c)) {
      stats.overloaded++;
      io.stats[S_UDP_OVERLOADED]++;
      warn("sender owes too many async replies (or the listener does); datagram dropped", address, port, len);
      return;
    }
    c.stopped = false;
    c.dropping = false;
    c.firstPacket = true;
    replies.beginDatagram();
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
    replies.endDatagram(c, len);
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
      return replies.owed;
    },
    get heldBytes() {
      return replies.heldBytes;
    },
  };
}
