/**
 * @module io/udp/udp-conn
 * The `Conn` a module sees for a UDP datagram: its sender (address and port). A sender is what a connection is to
 * UDP: the listener keeps one conn per sender in a bounded table (udp-senders.ts), so the conn a `proc` gets stays the
 * same object with the same `id` for every datagram of that sender, and a module may keep it and push to it later
 * (`conn.send`, or `ctx.send(conn.id)`) until the sender expires: io.idle_timeout_ms without a datagram from it (and
 * no reply owed to it), or the socket closes. A send after that is a no-op returning false. There is no connection,
 * so `accept` and `close` hooks do not run and `state` is always undefined. `close()` stops processing the rest of
 * the datagram (replies so far still go out); `drop()` also discards the current packet's reply and every async reply
 * owed to that sender at the time of the drop.
 */
import type { Conn, PublishOptions, PushData } from "../../module/types.ts";
import type { StreamService } from "../stream-connection.ts";

/** What a UDP listener needs of a listener's service: any `StreamService` will do (high water and pools do not apply). */
export type UdpService = Pick<StreamService, "def" | "log" | "maxPacket" | "backend">;

/** Where a UDP conn's pushes go: a datagram to its sender through the listener (udp-replies.ts); publishes to the hub. */
export interface UdpPusher {
  /** `count`: a conn.send (counted as a push), not a ctx.send delivery (the hub counts those). */
  send(c: UdpConn, data: PushData, count: boolean): boolean;
  publish(topic: string, data: PushData, except: number): number;
}

export class UdpConn implements Conn<undefined> {
  readonly protocol = "udp" as const;
  state: undefined = undefined;
  /** Never subscribed (pubsub/hub.ts Subscriber): a sender is not subscribed to topics. */
  subs: Set<string> | null = null;
  /** close() or drop(): later packets of this datagram are not processed. */
  stopped = false;
  /** drop(): replies of this datagram not yet queued are discarded. */
  dropping = false;
  /** Set at each datagram; pool mode (pool/udp-pool-bridge.ts) clears it at its first packet to mark where it starts. */
  firstPacket = false;
  /** Counts drop() calls: an async reply owed before a drop is discarded (its datagram's `gen` is older). */
  dropGen = 0;
  /** Async replies owed to this sender, and the bytes of the datagrams they keep alive (bounded per sender). */
  owed = 0;
  bytes = 0;
  /** When the last datagram from this sender arrived (the thread's coarse clock, io.clock: a clock read per datagram would cost ~80 ns). */
  lastSeen = 0;
  /** Out of the sender table: sends are refused. */
  expired = false;
  /** Pushes waiting for the replies owed to this sender (they leave after them), and their bytes. */
  pending: PushData[] | null = null;
  pendingBytes = 0;

  constructor(
    readonly id: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly localPort: number,
    readonly thread: number,
    private readonly pusher: UdpPusher | null = null,
  ) {}

  /** One datagram to this sender; false after it expired, when it is too large, or when too much waits already. */
  send(data: PushData): boolean {
    return this.pusher !== null && this.pusher.send(this, data, true);
  }

  /** A `ctx.send(id)` delivery (pubsub/hub.ts counts it). */
  push(data: PushData): boolean {
    return this.pusher !== null && this.pusher.send(this, data, false);
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  /** Topics are for connections; UDP has none (a sender is not subscribed). */
  subscribe(_topic: string): boolean {
    return false;
  }

  unsubscribe(_topic: string): boolean {
    return false;
  }

  get topics(): readonly string[] {
    return [];
  }

  publish(topic: string, data: PushData, options?: PublishOptions): number {
    return this.pusher === null ? 0 : this.pusher.publish(topic, data, options?.except ?? -1);
  }

  close(): void {
    this.stopped = true;
  }

  drop(): void {
    this.stopped = true;
    this.dropping = true;
    this.dropGen++;
  }
}
