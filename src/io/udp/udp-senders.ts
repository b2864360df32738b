/**
 * @module io/udp/udp-senders
 * The senders of one UDP listener on one thread: one conn per sender (address and port), so a module can keep a
 * sender's conn and push to it later (udp-conn.ts). Bounded: at most MAX_SENDERS entries; a new sender beyond that
 * evicts the oldest entry that owes no reply (a flood of new source addresses cannot grow it). An entry expires after
 * io.idle_timeout_ms without a datagram from it and with no reply owed to it (0 = only the bound evicts); an expired
 * conn refuses sends and is no longer reachable by `ctx.send(id)`. Checked when a send comes and by a sweep the
 * listener runs (udp-listener.ts), so an idle table costs nothing per datagram.
 */
import type { PubSubHub } from "../../pubsub/hub.ts";
import { UdpConn, type UdpPusher } from "./udp-conn.ts";

const MAX_SENDERS = 4096;

/** What the table needs of its thread (IoContext satisfies it). */
export interface SendersHost {
  readonly index: number;
  readonly pubsub: PubSubHub;
  newConnId(): number;
}

export class UdpSenders {
  private readonly byAddress = new Map<string, Map<number, UdpConn>>();
  size = 0;
  localPort = 0;
  pusher: UdpPusher | null = null;

  constructor(
    private readonly host: SendersHost,
    /** io.idle_timeout_ms; 0: entries leave only to the bound. */
    readonly idleMs: number,
  ) {}

  /** The conn of this sender (made on its first datagram); `now` is when its datagram came. */
  get(address: string, port: number, now: number): UdpConn {
    let ports = this.byAddress.get(address);
    let c = ports?.get(port);
    if (c === undefined) {
      if (this.size >= MAX_SENDERS) this.evictOne(now);
      c = new UdpConn(this.host.newConnId(), address, port, this.localPort, this.host.index, this.pusher);
      if (ports === undefined) this.byAddress.set(address, (ports = new Map()));
      ports.set(port, c);
      this.size++;
      this.host.pubsub.register(c);
    }
    c.lastSeen = now;
    return c;
  }

  /** True (and the entry expired) when `c` has been idle past io.idle_timeout_ms with nothing owed to it. */
  stale(c: UdpConn, now: number): boolean {
    if (c.expired) return true;
    if (this.idleMs === 0 || c.owed !== 0 || now - c.lastSeen <= this.idleMs) return false;
    this.expire(c);
    return true;
  }

  expire(c: UdpConn): void {
    if (c.expired) return;
    c.expired = true;
    c.pending = null;
    c.pendingBytes = 0;
    const ports = this.byAddress.get(c.remoteAddress);
    if (ports !== undefined && ports.get(c.remotePort) === c) {
      ports.delete(c.remotePort);
      if (ports.size === 0) this.byAddress.delete(c.remoteAddress);
      this.size--;
    }
    this.host.pubsub.unregister(c);
  }

  /** Expires every idle entry (the listener's sweep). */
  sweep(now: number): void {
    if (this.idleMs === 0) return;
    for (const ports of this.byAddress.values()) for (const c of ports.values()) this.stale(c, now);
  }

  /** The socket closed: every sender's conn refuses sends from now on. */
  clear(): void {
    for (const ports of this.byAddress.values()) for (const c of ports.values()) this.expire(c);
  }

  /** The table is full: drop idle entries, else the oldest one that owes nothing. */
  private evictOne(now: number): void {
    this.sweep(now);
    if (this.size < MAX_SENDERS) return;
    for (const ports of this.byAddress.values()) {
      for (const c of ports.values()) {
        if (c.owed === 0) return this.expire(c);
      }
    }
  }
}
