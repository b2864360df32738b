/**
 * @module io/udp/udp-conn
 * The `Conn` a module sees for a UDP datagram: the sender's address and port. There is no connection, so `accept`
 * and `close` hooks do not run and `state` is always undefined. All packets of one datagram share one conn;
 * `close()` stops processing the rest of the datagram (replies so far still go out), `drop()` also discards the
 * current packet's reply and any async reply of that datagram still pending.
 *
 * To keep the hot path free of allocation, a listener reuses one conn for datagram after datagram; a conn handed
 * to a `proc` that returned a Promise is left to that proc (`loaned`) and the listener takes a fresh one. So a conn
 * is valid until `proc` returns or its Promise settles, the same rule as for `packet`.
 */
import type { Conn, PublishOptions, PushData } from "../../module/types.ts";
import type { StreamService } from "../stream-connection.ts";

/** What a UDP listener needs of a listener's service: any `StreamService` will do (high water and pools do not apply). */
export type UdpService = Pick<StreamService, "def" | "log" | "maxPacket">;

/** Where a UDP conn's pushes go: a datagram to its sender through the listener's reply batch; publishes to the hub. */
export interface UdpPusher {
  send(data: PushData, port: number, address: string): boolean;
  publish(topic: string, data: PushData, except: number): number;
}

/** What one sender's pending async replies hold: how many, and the bytes of the datagrams they keep alive. */
export interface SenderLoad {
  owed: number;
  bytes: number;
}

export class UdpConn implements Conn<undefined> {
  readonly protocol = "udp" as const;
  /** New for every datagram (unique within the process). */
  id = 0;
  remoteAddress = "";
  remotePort = 0;
  state: undefined = undefined;
  /** close() or drop(): later packets of this datagram are not processed. */
  stopped = false;
  /** drop(): replies of this datagram not yet queued are discarded. */
  dropping = false;
  /** An async proc holds this conn: the listener must not reuse it for another datagram. */
  loaned = false;
  /** Async replies of this datagram not settled yet, and what they hold (udp-framing.ts bounds it per sender). */
  owed = 0;
  /** Bytes of this datagram counted against its sender while its replies are owed. */
  held = 0;
  sender: SenderLoad | null = null;

  constructor(
    readonly localPort: number,
    readonly thread: number,
    private readonly pusher: UdpPusher | null = null,
  ) {}

  /** A datagram to this conn's sender (there is no queue to wait on: the kernel takes it or drops it). */
  send(data: PushData): boolean {
    return this.pusher !== null && this.pusher.send(data, this.remotePort, this.remoteAddress);
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  /** A sender is not a connection: nothing could deliver to it after this datagram. */
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
  }

  /** Readies a reused conn for the next datagram. */
  reset(id: number, address: string, port: number): void {
    this.id = id;
    this.remoteAddress = address;
    this.remotePort = port;
    this.stopped = false;
    this.dropping = false;
  }
}
