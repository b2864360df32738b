/**
 * @module pool/pool-client
 * The I/O thread's side of the handler pool: one ring link per handler thread, connections pinned to a handler by
 * number (so their replies stay in order), records from each handler routed back to their connection. When a ring is
 * full the sockets pinned to it stop reading until there is room; when a handler thread dies, its connections are
 * told (they close cleanly, or answer 503) and the link switches to the replacement's fresh rings.
 */
import { describeError } from "../errors.ts";
import type { RingPair } from "../io/messages.ts";
import type { Logger } from "../log/logger.ts";
import { RingLink } from "./ring-link.ts";

/** A connection that sends its work to the pool. */
export interface PoolEndpoint {
  /** Its number in ring records, set by attach(). */
  poolNo: number;
  /** A record for this connection (REPLY, REJECT, HTTP_RES); payload valid only during the call. */
  poolRecord(kind: number, seq: number, flags: number, bytes: Uint8Array, off: number, len: number): void;
  /** Its handler thread died: whatever it was waiting for will not come. */
  handlerLost(): void;
  /** The ring to its handler is full / has room again. */
  ringBlocked(): void;
  ringUnblocked(): void;
}

interface Lane {
  link: RingLink;
  endpoints: Map<number, PoolEndpoint>;
}

export class PoolClient {
  private readonly lanes: Lane[] = [];
  private nextNo = 1;

  constructor(
    pairs: readonly RingPair[],
    private readonly log: Logger,
  ) {
    pairs.forEach((pair, j) => this.open(j, pair));
  }

  get handlers(): number {
    return this.lanes.length;
  }

  private open(j: number, pair: RingPair): void {
    const endpoints = new Map<number, PoolEndpoint>();
    const link = new RingLink(
      pair,
      "io",
      (kind, no, seq, flags, bytes, off, len) => endpoints.get(no)?.poolRecord(kind, seq, flags, bytes, off, len),
      (err) => this.log.error("pool record failed", { handler: j, error: describeError(err) }),
    );
    link.onBlocked = () => {
      for (const e of endpoints.values()) e.ringBlocked();
    };
    link.onUnblocked = () => {
      for (const e of endpoints.values()) e.ringUnblocked();
    };
    this.lanes[j] = { link, endpoints };
    link.start();
  }

  /** Pins a new connection to a handler (by its number, or to handler `lane`); returns the link its records go through. */
  attach(e: PoolEndpoint, lane?: number): RingLink {
    let no = this.nextNo;
    // Numbers map to lanes by remainder, so a fixed lane takes the next number that maps to it.
    if (lane !== undefined) while (no % this.lanes.length !== lane) no = no === 0x7fffffff ? 1 : no + 1;
    this.nextNo = no === 0x7fffffff ? 1 : no + 1;
    e.poolNo = no;
    return this.link(e);
  }

  private link(e: PoolEndpoint): RingLink {
    const no = e.poolNo;
    const lane = this.lanes[no % this.lanes.length]!;
    lane.endpoints.set(no, e);
    if (lane.link.blocked) e.ringBlocked();
    return lane.link;
  }

  /** The current link of an endpoint's lane (it changes when a handler thread is replaced). */
  linkOf(e: PoolEndpoint): RingLink {
    return this.lanes[e.poolNo % this.lanes.length]!.link;
  }

  detach(e: PoolEndpoint): void {
    this.lanes[e.poolNo % this.lanes.length]?.endpoints.delete(e.poolNo);
  }

  /** Handler thread j was replaced: fail its connections over, switch to the new rings. */
  replace(j: number, pair: RingPair): void {
    const old = this.lanes[j];
    if (old) {
      void old.link.stop();
      this.log.warn(`handler thread ${j} was replaced; closing the connections pinned to it`, { connections: old.endpoints.size });
      for (const e of [...old.endpoints.values()]) e.handlerLost();
    }
    this.open(j, pair);
    // Connections still in the old map (none should be) would point at a dead lane; new ones attach to the new lane.
  }

  /** Records waiting in each outgoing ring (statistics). */
  depths(): number[] {
    return this.lanes.map((l) => l.link.depth());
  }

  /** Records waiting to reach the handler threads, and replies waiting to be read here, over every lane. */
  queued(): { toHandlers: number; fromHandlers: number } {
    let toHandlers = 0;
    let fromHandlers = 0;
    for (const l of this.lanes) {
      toHandlers += l.link.outgoing();
      fromHandlers += l.link.incoming();
    }
    return { toHandlers, fromHandlers };
  }

  async stop(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.link.stop()));
  }
}
