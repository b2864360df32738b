/**
 * @module pool/handler-replies
 * On a handler thread, where the answers of `proc` and `draining` go (the `ReplyTarget` of module/hook-calls.ts,
 * which calls the hooks and checks what they return, as inline): REPLY records to the I/O thread for the packet's
 * sequence number, with the close()/drop() the hook asked for in the flags. A reply larger than one record goes as
 * R_PART records and a last one; a failure goes whole (class, code, message, stack: src/errors.ts errorToWire) and
 * is logged where it lands, on the I/O thread (a throw there reads as a rejection). One per link (I/O thread).
 */
import { errorToWire } from "../errors.ts";
import { failureError, HOOK_REJECTED, settleReply, type ReplyHook, type ReplyTarget } from "../module/hook-calls.ts";
import type { Reply } from "../module/types.ts";
import { K_REPLY, R_CLOSE, R_DROP, R_EMPTY, R_FAIL, R_PART } from "./pool-protocol.ts";
import type { PooledConn } from "./pooled-conn.ts";
import type { RingLink } from "./ring-link.ts";

const enc = new TextEncoder();

export function replyFlags(c: PooledConn): number {
  return (c.closeRequested ? R_CLOSE : 0) | (c.dropRequested ? R_DROP : 0);
}

export class HandlerReplies implements ReplyTarget<PooledConn> {
  /**
   * The sequence number the answer is for: set by the handler thread before it calls a hook, and again before a
   * Promise's value is settled (the calls are synchronous, so nothing else runs in between).
   */
  seq = 0;

  constructor(
    private readonly link: RingLink,
    /** An async answer was sent: the connection owes one fewer (its close hook may run now). */
    private readonly settled: (c: PooledConn) => void,
  ) {}

  reply(c: PooledConn, r: Uint8Array | string): void {
    const b = typeof r === "string" ? enc.encode(r) : r;
    const link = this.link;
    const max = link.maxPayload;
    let off = 0;
    for (; b.length - off > max; off += max) link.send(K_REPLY, c.no, this.seq, R_PART, b, off, max);
    link.send(K_REPLY, c.no, this.seq, replyFlags(c), b, off, b.length - off);
  }

  echo(c: PooledConn, packet: Uint8Array): void {
    this.reply(c, packet); // the packet is this thread's copy of the ring's bytes
  }

  none(c: PooledConn): void {
    this.link.send(K_REPLY, c.no, this.seq, R_EMPTY | replyFlags(c));
  }

  later(c: PooledConn, p: PromiseLike<Reply>, hook: ReplyHook): void {
    const seq = this.seq;
    c.inflight++;
    p.then(
      (v) => {
        this.seq = seq;
        settleReply(this, c, hook, v);
        this.settled(c);
      },
      (err) => {
        this.seq = seq;
        this.failed(c, hook, HOOK_REJECTED, err);
        this.settled(c);
      },
    );
  }

  failed(c: PooledConn, hook: ReplyHook, how: number, cause: unknown): void {
    this.fail(c.no, this.seq, failureError(hook, how, cause));
  }

  /** The failure for `seq` of connection `no`, whole. */
  fail(no: number, seq: number, err: unknown): void {
    const msg = enc.encode(errorToWire(err, this.link.maxPayload));
    this.link.send(K_REPLY, no, seq, R_FAIL, msg, 0, msg.length);
  }
}
