/**
 * @module pool/pool-client
 * The I/O thread's side of the handler pool: one ring link per handler thread, connections pinned to a handler by
 * number (so their replies stay in order), records from each handler routed back to their connection. When a ring is
 * full the sockets pinned to it stop reading until there is room; when a handler thread dies, its connections are
 * told at once (they close cleanly, or answer 503), new connections go to the live handlers, and the lane switches
 * to the replacement's fresh rings when it starts. A handler recycled after an uncaught exception drains beside its
 * replacement: the lane's link moves to `old` (its connections keep their link and are answered by the faulted
 * thread), new connections go to the replacement's rings, and when the faulted thread stops (`retired`) what is
 * still pinned to it is told as on a death.
 */
import { describeError } from "../errors.ts";
import type { RingPair } from "../io/messages.ts";
import type { Logger } from "../log/logger.ts";
import { RingLink } from "./ring-link.ts";
import { K_PS_FIRST } from "./pool-protocol.ts";
import { routePoolPubsub, type PubsubRecordHandler } from "./pubsub-records.ts";
import type { PubSubHub } from "../pubsub/hub.ts";


/** What owns a connection number: a stream connection's PoolSession (pool-session.ts), a UDP listener's lane. */
export interface PoolEndpoint {
  /** Its number in ring records, set by attach(). */
  poolNo: number;
  /** A record for this connection (REPLY, REJECT, HTTP_RES); payload valid only during the call. */
  poolRecord(kind: number, seq: number, flags: number, bytes: Uint8Array, off: number, len: number): void;
  /** Its handler thread died: whatever it was waiting for will not come. */
  handlerLost(): void;
  /** Its handler thread was recycled (optional): a UDP lane moves to the replacement at once (new senders go there). */
  handlerRecycled?(): void;
  /** After handlerRecycled: the faulted thread stopped; what was still owed by it will not come. */
  generationRetired?(): void;
  /** The ring to its handler is full / has room again. */
  ringBlocked(): void;
  ringUnblocked(): void;
}

interface Lane {
  link: RingLink;
  endpoints: Map<number, PoolEndpoint>;
  /** False from the moment its handler thread is known dead until its replacement's rings arrive. */
  alive: boolean;
  /** Run when the lane is open again (fixed-lane endpoints waiting to rejoin it). */
  reopen: Array<() => void>;
}

export class PoolClient {
  private readonly lanes: Lane[] = [];
  private nextNo = 1;
  /** Where PS_* records go (servePubsub). */
  onPubsub: PubsubRecordHandler = () => {};

  /** Faulted handler threads draining beside their replacement, by lane: their link and the connections left. */
  private readonly old: Array<{ link: RingLink; endpoints: Map<number, PoolEndpoint> } | undefined> = [];
  /** Handler threads' pushes, subscriptions, publishes and sends go to this thread's hub (pubsub-records.ts). */
  servePubsub(hub: PubSubHub, stats: () => Float64Array): void {
    routePoolPubsub(this, hub, stats);
  }

  constructor(
    pairs: readonly RingPair[],
    private readonly log: Logger,
    /** This thread's stats fields: the links count ring records, wake-ups and notifies there (S_POOL_RECORDS...). */
    private readonly counters?: Float64Array,
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
      (kind, no, seq, flags, bytes, off, len) => {
        if (kind >= K_PS_FIRST) this.onPubsub(kind, endpoints.get(no), no, seq, flags, bytes, off, len);
        else endpoints.get(no)?.poolRecord(kind, seq, flags, bytes, off, len);
      },
      (err) => this.log.error("pool record failed", { handler: j, error: describeError(err) }),
      this.counters,
    );
    link.onBlocked = () => {
      for (const e of endpoints.values()) e.ringBlocked();
    };
    link.onUnblocked = () => {
      for (const e of endpoints.values()) e.ringUnblocked();
    };
    const waiting = this.lanes[j]?.reopen ?? [];
    this.lanes[j] = { link, endpoints, alive: true, reopen: [] };
    link.start();
    for (const f of waiting) f();
  }

  /** True while handler `j` is serving (not dead and waiting for its replacement). */
  isOpen(j: number): boolean {
    return this.lanes[j]?.alive === true;
  }

  /**
   * Pins a new connection to a live handler (by its number, or to handler `lane`); returns the link its records go
   * through, or null when no handler is alive (every one died and none is replaced yet: the caller refuses).
   */
  attach(e: PoolEndpoint, lane?: number): RingLink | null {
    const n = this.lanes.length;
    let no = this.nextNo;
    // Numbers map to lanes by remainder, so a fixed lane takes the next number that maps to it; a free connection
    // skips lanes whose handler is dead, so it is never pinned to a thread that cannot answer.
    for (let tries = 0; lane !== undefined ? no % n !== lane : !this.lanes[no % n]!.alive; tries++) {
      if (tries >= n && lane === undefined) return null;
      no = no === 0x7fffffff ? 1 : no + 1;
    }
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

  /** The current link of an endpoint's lane (it changes when a handler thread is replaced), or its draining one. */
  linkOf(e: PoolEndpoint): RingLink {
    const j = e.poolNo % this.lanes.length;
    const old = this.old[j];
    return old !== undefined && old.endpoints.has(e.poolNo) ? old.link : this.lanes[j]!.link;
  }

  detach(e: PoolEndpoint): void {
    const j = e.poolNo % this.lanes.length;
    this.lanes[j]?.endpoints.delete(e.poolNo);
    this.old[j]?.endpoints.delete(e.poolNo);
  }

  /**
   * Handler thread j faulted and its replacement starts on `pair`: what is pinned to it stays on its link (the faulted
   * thread goes on serving it), new connections take the new rings. A second recycle before the first drained (the
   * replacement failed to start, or faulted too) replaces the current link only.
   */
  recycle(j: number, pair: RingPair): void {
    const lane = this.lanes[j];
    if (lane === undefined) return;
    if (this.old[j] !== undefined || !lane.alive) return this.replace(j, pair);
    this.old[j] = { link: lane.link, endpoints: lane.endpoints };
    this.open(j, pair);
    for (const e of [...lane.endpoints.values()]) e.handlerRecycled?.();
  }

  /** The faulted handler thread j has stopped (drained or cut at server.drain_ms): what is still pinned to it is lost. */
  retired(j: number): void {
    const old = this.old[j];
    if (old === undefined) return;
    this.old[j] = undefined;
    void old.link.stop();
    const pinned = [...old.endpoints.entries()];
    if (pinned.length > 0) this.log.warn(`recycled handler thread ${j} stopped; closing the connections still pinned to it`, { connections: pinned.length });
    for (const [no, e] of pinned) {
      if (e.poolNo === no) e.handlerLost();
      else e.generationRetired?.(); // it moved to the replacement (a UDP lane): only what it owed the old thread is lost
    }
  }

  /** Runs `f` once handler `j` serves again (at once, on a later microtask, if it is serving now). */
  whenOpen(j: number, f: () => void): void {
    const lane = this.lanes[j];
    if (lane === undefined) return;
    if (lane.alive) queueMicrotask(f);
    else lane.reopen.push(f);
  }

  /**
   * Handler thread j died: everything pinned to it is lost with it (its accept state and owed replies lived there),
   * so its connections are told now — not after the restart back-off — and new ones go to live handlers meanwhile.
   */
  lost(j: number): void {
    const lane = this.lanes[j];
    if (lane === undefined || !lane.alive) return;
    lane.alive = false;
    void lane.link.stop();
    this.log.warn(`handler thread ${j} died; closing the connections pinned to it`, { connections: lane.endpoints.size });
    const pinned = [...lane.endpoints.values()];
    lane.endpoints.clear();
    for (const e of pinned) e.handlerLost();
  }

  /** Handler thread j was replaced: switch to the new rings (its old connections were failed over by lost()). */
  replace(j: number, pair: RingPair): void {
    this.lost(j); // in case the news of its death has not arrived
    this.open(j, pair);
  }

  /** Records waiting in each outgoing ring (statistics). */
  depths(): number[] {
    return this.lanes.map((l) => l.link.depth());
  }

  /** Records waiting to reach the handler threads, and replies waiting to be read here, over every lane. */
  queued(): { toHandlers: number; fromHandlers: number } {
    let toHandlers = 0;
    let fromHandlers = 0;
    for (const l of [...this.lanes, ...this.old]) {
      if (l === undefined) continue;
      toHandlers += l.link.outgoing();
      fromHandlers += l.link.incoming();
    }
    return { toHandlers, fromHandlers };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.lanes, ...this.old].map((l) => l?.link.stop()));
  }
}
