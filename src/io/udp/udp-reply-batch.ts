/**
 * @module io/udp/udp-reply-batch
 * Reply datagrams of one event-loop turn leave together. Bun runs the `data` handler once per datagram and drains
 * microtasks after each call (measured), so a microtask cannot see the end of a receive batch; `setImmediate` runs
 * once the turn's datagrams have all been handled. The first reply of a turn is sent at once (a lone request pays
 * no extra latency: batching everything cost ~14 µs p50 at window 1), the ones after it are queued, and one
 * `sendMany` (sendmmsg) at the end of the turn sends them all (~20 % less server CPU per echo than one send each at
 * window 64). Each reply is still its own datagram back to its own sender.
 *
 * The queue holds references, not copies: a reply may be a view of the datagram it answers, and Bun gives every
 * datagram its own memory, so it stays valid until sent.
 */
import type { SendList, UdpTransport } from "./udp-transport.ts";

/** Flush at once past this many queued replies, so one busy turn cannot grow the queue without bound. */
const MAX_BATCH = 256;

export interface BatchCounters {
  replies: number;
  unsent: number;
}

export class UdpReplyBatch {
  private readonly q: SendList = [];
  private scheduled = false;
  private transport: UdpTransport | null = null;
  private readonly endTurn = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    private readonly stats: BatchCounters,
    /** Told how many replies were refused by the kernel (send buffer full, too large), for a rate-limited log. */
    private readonly onUnsent: (count: number) => void,
  ) {}

  attach(t: UdpTransport | null): void {
    this.transport = t;
  }

  add(data: Uint8Array | string, port: number, address: string): void {
    const t = this.transport;
    if (t === null) {
      this.stats.unsent++; // the socket is closed
      return;
    }
    if (!this.scheduled) {
      // The first reply of a turn leaves at once; the end of the turn is marked so the replies after it are batched.
      this.scheduled = true;
      setImmediate(this.endTurn);
      this.sendOne(t, data, port, address);
      return;
    }
    const q = this.q;
    q.push(data, port, address);
    if (q.length >= MAX_BATCH * 3) this.flush();
  }

  private sendOne(t: UdpTransport, data: Uint8Array | string, port: number, address: string): void {
    let ok = false;
    try {
      ok = t.send(data, port, address);
    } catch {
      ok = false;
    }
    if (ok) this.stats.replies++;
    else {
      this.stats.unsent++;
      this.onUnsent(1);
    }
  }

  get queued(): number {
    return this.q.length / 3;
  }

  /** Sends what is queued now. */
  flush(): void {
    const q = this.q;
    const total = q.length / 3;
    if (total === 0) return;
    const t = this.transport;
    if (t === null) {
      this.q.length = 0;
      this.stats.unsent += total;
      return;
    }
    let sent = 0;
    try {
      sent = t.sendMany(q);
    } catch {
      sent = 0;
    }
    if (sent === total) {
      this.stats.replies += sent;
      q.length = 0;
      return;
    }
    this.resend(t, sent, total);
  }

  /**
   * sendMany stops at the first datagram the kernel refuses (EMSGSIZE, ENOBUFS, EAGAIN). That one is dropped and
   * the rest are tried again: a rare path, so copying the tail is fine. Each round drops at least one datagram, so
   * it ends.
   */
  private resend(t: UdpTransport, sent: number, total: number): void {
    let unsent = 0;
    let done = sent;
    let rest = this.q;
    this.stats.replies += sent;
    while (done < total) {
      unsent++;
      rest = rest.slice((sent + 1) * 3);
      done += 1;
      if (rest.length === 0) break;
      try {
        sent = t.sendMany(rest);
      } catch {
        sent = 0;
      }
      this.stats.replies += sent;
      done += sent;
    }
    this.q.length = 0;
    this.stats.unsent += unsent;
    this.onUnsent(unsent);
  }
}
