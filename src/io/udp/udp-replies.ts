/**
 * @module io/udp/udp-replies
 * What a UDP listener sends back to its senders. Replies: `proc` is called and what it returns checked by
 * module/hook-calls.ts, as for every transport; this is its `ReplyTarget`: each reply is queued as its own datagram
 * to the sender (io/udp/udp-reply-batch.ts). A throwing or rejecting `proc`, or one returning a wrong type or a reply
 * too large for a datagram, costs only that reply (counted, rate-limited log line); after a drop() the packet's reply
 * and the async ones owed to the sender at that time are discarded.
 *
 * What pending async replies hold (each keeps its datagram alive until it settles) is bounded: per sender (address
 * and port) at most MAX_OWED_PER_SENDER replies and io.high_water bytes of datagrams; per listener and thread at most
 * HELD_SENDERS times that. A datagram beyond them is dropped unanswered by the framing (udp-framing.ts, `overloaded`),
 * as UDP allows: a sender whose replies do not come cannot make the server hold any amount of its datagrams.
 *
 * Push (`conn.send`, `ctx.send(id)`): one datagram to the sender, any time until its entry expires. A push made while
 * replies are owed to that sender waits for them (bounded like them: MAX_OWED_PER_SENDER pushes, io.high_water
 * bytes; beyond that the push is refused) and leaves once none is owed, so it never overtakes a reply owed before it.
 *
 * Allocation: none for a reply ready now; an async one makes its two settle callbacks, and the first of a datagram
 * the record of what that datagram holds.
 */
import { failureCause, failureLine, HOOK_REJECTED, HOOK_RETURNED_BAD, HOOK_THREW, settleReply, type ReplyHook, type ReplyTarget } from "../../module/hook-calls.ts";
import { replyBytes } from "../../module/hook-results.ts";
import type { PushData, Reply } from "../../module/types.ts";
import { S_BYTES_OUT, S_ERR_HANDLER, S_PS_PUSHES } from "../../stats/stat-fields.ts";
import type { IoContext } from "../io-context.ts";
import type { UdpConn, UdpPusher } from "./udp-conn.ts";
import type { UdpReplyBatch } from "./udp-reply-batch.ts";
import type { UdpSenders } from "./udp-senders.ts";

/** The largest UDP payload over IPv4; a larger reply cannot be sent as one datagram. */
const MAX_UDP_PAYLOAD = 65_507;

/** Bounds on what pending async replies hold (see the header). */
const MAX_OWED_PER_SENDER = 1024;
const HELD_SENDERS = 16;

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

export function newUdpStats(): UdpStats {
  return { datagrams: 0, packets: 0, bad: 0, oversized: 0, replies: 0, errors: 0, unsent: 0, socketErrors: 0, overloaded: 0, pushRefused: 0 };
}

export interface UdpFramingHost {
  /** Async replies owed went from 0 to more (true) or back to 0 (false). */
  owing(owed: boolean): void;
  /** The socket is closed: late async replies are counted as unsent. */
  readonly closed: boolean;
}

/** One datagram's async replies not settled yet, the bytes it keeps alive, and the sender's drop count at its time. */
interface HeldDatagram {
  owed: number;
  bytes: number;
  gen: number;
}

export class UdpReplies implements ReplyTarget<UdpConn>, UdpPusher {
  /** Async replies not yet settled, on this listener. */
  owed = 0;
  /** Bytes of datagrams kept alive by them. */
  heldBytes = 0;
  /** The datagram being handled's async replies (made at the first one; null between datagrams). */
  private held: HeldDatagram | null = null;
  /** The length of the packet whose proc runs now (the log line of its failure names it). */
  private packetBytes = 0;
  private warnedPushSize = false;
  private readonly senderBytes: number;
  private readonly totalBytes: number;
  private readonly totalOwed = HELD_SENDERS * MAX_OWED_PER_SENDER;

  constructor(
    private readonly io: IoContext,
    private readonly stats: UdpStats,
    private readonly batch: UdpReplyBatch,
    private readonly host: UdpFramingHost,
    private readonly senders: UdpSenders,
    /** The module's name, for log lines. */
    private readonly module: string,
  ) {
    this.senderBytes = io.config.io.high_water;
    this.totalBytes = HELD_SENDERS * this.senderBytes;
  }

  /** True when a datagram from this sender must be dropped: it (or the listener) holds too much already. */
  overloaded(c: UdpConn): boolean {
    if (this.owed >= this.totalOwed || this.heldBytes >= this.totalBytes) return true;
    return c.owed >= MAX_OWED_PER_SENDER || c.bytes >= this.senderBytes;
  }

  /** A datagram from `c` begins: the async replies of its packets are held together. */
  beginDatagram(): void {
    this.held = null;
  }

  /** The datagram of `len` bytes is handled: it stays alive until its last async reply settles (counted against the sender until then). */
  endDatagram(c: UdpConn, len: number): void {
    const h = this.held;
    if (h === null) return;
    this.held = null;
    h.bytes = len;
    c.bytes += len;
    this.heldBytes += len;
  }

  /** The length of the packet about to be handed to proc (for a failure's log line). */
  packetOf(bytes: number): void {
    this.packetBytes = bytes;
  }

  // ---- ReplyTarget (module/hook-calls.ts) ----

  reply(c: UdpConn, r: Uint8Array | string): void {
    if (this.host.closed) {
      this.stats.unsent++; // an async reply that settled after the socket closed
      return;
    }
    if (r.length === 0) return; // nothing to say: no datagram, as an empty TCP reply writes nothing
    const n = replyBytes(r);
    if (n > MAX_UDP_PAYLOAD) {
      this.stats.errors++;
      this.io.stats[S_ERR_HANDLER]++;
      this.warn(`reply of ${n} bytes does not fit in a UDP datagram; reply dropped`, c, n);
      return;
    }
    this.io.stats[S_BYTES_OUT] += n;
    this.batch.add(r, c.remotePort, c.remoteAddress);
  }

  echo(c: UdpConn, packet: Uint8Array): void {
    this.reply(c, packet);
  }

  none(): void {}

  later(c: UdpConn, p: PromiseLike<Reply>, _hook: ReplyHook): void {
    // The proc keeps its packet (a view of this datagram's own memory) until the Promise settles.
    const h = (this.held ??= { owed: 0, bytes: 0, gen: c.dropGen });
    h.owed++;
    c.owed++;
    if (this.owed++ === 0) this.host.owing(true);
    p.then(
      (v) => this.settled(c, h, v, undefined, false),
      (e: unknown) => this.settled(c, h, undefined, e, true),
    );
  }

  failed(c: UdpConn, hook: ReplyHook, how: number, cause: unknown): void {
    this.stats.errors++;
    this.io.stats[S_ERR_HANDLER]++;
    const bytes = how === HOOK_THREW || how === HOOK_RETURNED_BAD ? this.packetBytes : 0;
    this.warn(`${failureLine(hook, how, cause)}; reply dropped`, c, bytes, failureCause(how, cause));
  }

  private settled(c: UdpConn, h: HeldDatagram, v: unknown, err: unknown, rejected: boolean): void {
    if (rejected) this.failed(c, "proc", HOOK_REJECTED, err);
    else if (c.dropGen === h.gen) settleReply(this, c, "proc", v); // else a drop() came after it: discarded
    this.release(c, h);
    if (--this.owed === 0) this.host.owing(false);
  }

  /** One async reply to `c` settled: once all of its datagram's have, it holds the datagram's bytes no more; once
   * none is owed to the sender, the pushes that waited for them leave. */
  private release(c: UdpConn, h: HeldDatagram): void {
    c.owed--;
    if (--h.owed === 0) {
      c.bytes -= h.bytes;
      this.heldBytes -= h.bytes;
      h.bytes = 0;
    }
    const q = c.pending;
    if (c.owed !== 0 || q === null) return;
    c.pending = null;
    c.pendingBytes = 0;
    if (this.host.closed || c.expired) return;
    for (const d of q) {
      this.io.stats[S_BYTES_OUT] += replyBytes(d);
      this.batch.add(d, c.remotePort, c.remoteAddress);
    }
  }

  // ---- UdpPusher: conn.send / ctx.send(id), one datagram to the sender; refused after close or expiry ----

  send(c: UdpConn, data: PushData, count: boolean): boolean {
    if (this.host.closed || this.senders.stale(c, this.io.clock)) return false;
    const n = replyBytes(data);
    if (n > MAX_UDP_PAYLOAD) {
      this.stats.pushRefused++;
      if (!this.warnedPushSize) {
        this.warnedPushSize = true;
        this.warn(`push of ${n} bytes does not fit in a UDP datagram (max ${MAX_UDP_PAYLOAD}); refused (logged once)`, c, n);
      }
      return false;
    }
    if (n === 0) return true;
    if (c.owed !== 0) {
      const q = (c.pending ??= []);
      if (q.length >= MAX_OWED_PER_SENDER || c.pendingBytes + n > this.senderBytes) {
        this.stats.pushRefused++;
        return false;
      }
      // A copy: the caller may reuse its buffer before the owed replies settle.
      q.push(typeof data === "string" ? data : new Uint8Array(data));
      c.pendingBytes += n;
    } else {
      this.io.stats[S_BYTES_OUT] += n;
      this.batch.add(data, c.remotePort, c.remoteAddress);
    }
    if (count) this.io.stats[S_PS_PUSHES]++;
    return true;
  }

  publish(topic: string, data: PushData, except: number): number {
    return this.io.pubsub.publish(topic, data, except);
  }

  private warn(msg: string, c: UdpConn, bytes: number, err?: unknown): void {
    this.io.noisy.warn(msg, { module: this.module, remote: `${c.remoteAddress}:${c.remotePort}`, bytes }, err);
  }
}
