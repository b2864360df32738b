/**
 * @module pubsub/hub
 * One I/O thread's side of server push and topics: its open connections by id (for `ctx.send`), its topic
 * subscriptions, and the mesh of rings to the other I/O threads of the process (pubsub/mesh.ts). A publish is
 * encoded once: the same bytes go to every local subscriber (copied once into the thread's push batch, and written
 * once per subscriber per turn: io/push-batch.ts; a subscriber in its own event takes it into the cork) and one
 * ring record per peer thread carries it there, where the same happens from the ring's memory. Every publish goes to every peer thread (no interest table to keep in step): with
 * few I/O threads per process a record per peer is cheaper than tracking who listens where.
 *
 * Order: local subscribers take each message synchronously in publish order (a connection's batched share is
 * written before anything else it writes), each peer ring is FIFO, so one publisher's messages on a topic reach
 * every subscriber in the order published.
 *
 * Runs: when publishes in a row go to the same topic (same exception, same turn, no connection event in between),
 * one delivery loop (which one: `deliver`) asks the batch to form a run (io/push-batch.ts), and the publishes after
 * it, while nothing else happens, are one copy and one range extension each instead of a step per subscriber. Any
 * subscribe or unsubscribe ends the run here; anything else the batch does ends it there.
 */
import type { PushData, SendResult } from "../module/types.ts";
import {
  S_PS_DELIVERIES, S_PS_DROP_BROKER, S_PS_PUBLISHES, S_PS_PUSHES, S_PS_SUBSCRIPTIONS, S_PS_TOPICS, S_PS_UNKNOWN_ID,
} from "../stats/stat-fields.ts";
import type { Mesh } from "./mesh.ts";
import { threadOfId } from "./conn-id.ts";
import { TopicSubscribers } from "./topic-subscribers.ts";

/** A connection that can be pushed to and subscribed (a TCP/TLS connection on this thread). */
export interface Subscriber {
  readonly id: number;
  /** Writes like `conn.send` without counting a push (topic deliveries are counted apart). */
  push(data: PushData): boolean;
  /** Its subscriptions, kept by the connection so they end with it. */
  subs: Set<string> | null;
}

/** What the hub needs of its thread (IoContext satisfies it; kept narrow so the hub imports nothing above it). */
export interface HubHost {
  readonly index: number;
  /** The thread's counters; read on each use because the thread swaps in its shared slot after start. */
  readonly stats: Float64Array;
  /**
   * The thread's push batch (io/push-batch.ts), told when a delivery loop writes one message to many; its
   * `beforeWrite` publishes the mesh's records before the turn's local write-out.
   */
  readonly batch: {
    fanout(on: boolean): void;
    beforeWrite: (() => void) | null;
    /** Runs (io/push-batch.ts): formed during a delivery loop, extended by the publishes after it. */
    joinBegin(): void;
    join(s: object): void;
    joinEnd(complete: boolean): boolean;
    extendRun(r: Uint8Array): boolean;
    /** End-of-turn write-outs so far. */
    readonly turns: number;
  };
  /** Events begun on the thread's connections so far (io/io-context.ts): a run lasts only while none begins. */
  readonly events: number;
  /**
   * The thread's TCP, TLS or WebSocket connection of this id, found in its connection table (io/conn-table.ts) rather
   * than in a map of the hub's own: a map entry was heap of every idle TCP connection (issue 17). Absent: only the
   * subscribers `register` was given are reachable.
   */
  subscriber?(id: number): Subscriber | undefined;
}

const enc = new TextEncoder();
const NONE = -1;

export class PubSubHub {
  private readonly topics = new Map<string, TopicSubscribers<Subscriber>>();
  private readonly byId = new Map<number, Subscriber>();
  private meshRef: Mesh | null = null;
  /** The last delivery loop: its topic, exception, and the turn and event count it ran at. */
  private lastTopic: string | null = null;
  private lastExcept = NONE;
  private lastTurn = -1;
  private lastEvents = -1;
  /** Publishes in a row to lastTopic (this one included), and how many the sequence before it had. */
  private streak = 0;
  private prevStreak = 0;
  /** The run the next publish of lastTopic may extend (formed by the last loop): its subscribers. 0 = none. */
  private runCount = 0;
  /** Delivery loops in progress (a close hook run by one may publish): only an outermost loop forms a run. */
  private depth = 0;
  /** Subscribes, leaves and delivery loops so far: a loop during which another of them ran forms no run. */
  private changes = 0;

  constructor(private readonly host: HubHost) {}

  get mesh(): Mesh | null {
    return this.meshRef;
  }

  /**
   * The rings to the other I/O threads. Their records of a turn are made visible before the turn's local
   * subscribers are written (the batch's beforeWrite), so a peer thread starts its share of a fan-out at once rather
   * than after this thread's whole write-out (with 500 local subscribers, several milliseconds).
   */
  set mesh(m: Mesh | null) {
    this.meshRef = m;
    this.host.batch.beforeWrite = m === null ? null : m.flushNow;
  }

  /** A subscriber the host's table does not hold (a UDP sender, udp-senders.ts): reachable by id from now on. */
  register(s: Subscriber): void {
    this.byId.set(s.id, s);
  }

  /** The connection is gone: unreachable (if registered), and its subscriptions end. */
  unregister(s: Subscriber): void {
    this.byId.delete(s.id);
    const subs = s.subs;
    if (subs === null) return;
    s.subs = null;
    for (const t of subs) this.leave(s, t);
  }

  subscribe(s: Subscriber, topic: string): void {
    const subs = (s.subs ??= new Set());
    if (subs.has(topic)) return;
    subs.add(topic);
    let members = this.topics.get(topic);
    if (members === undefined) {
      this.topics.set(topic, (members = new TopicSubscribers(topic)));
      this.host.stats[S_PS_TOPICS]++;
      this.mesh?.interest(topic, true);
    }
    members.add(s);
    this.runCount = 0; // a run holds the subscribers it was formed with
    this.changes++;
    this.host.stats[S_PS_SUBSCRIPTIONS]++;
  }

  unsubscribe(s: Subscriber, topic: string): boolean {
    if (s.subs === null || !s.subs.delete(topic)) return false;
    this.leave(s, topic);
    return true;
  }

  private leave(s: Subscriber, topic: string): void {
    const members = this.topics.get(topic);
    if (members === undefined || !members.delete(s)) return;
    this.runCount = 0;
    this.changes++;
    this.host.stats[S_PS_SUBSCRIPTIONS]--;
    if (members.size === 0) {
      this.topics.delete(topic);
      this.host.stats[S_PS_TOPICS]--;
      this.mesh?.interest(topic, false);
    }
  }

  /** `ctx.send(id, data)` from this thread. */
  send(id: number, data: PushData): SendResult {
    const t = threadOfId(id);
    if (t !== this.host.index) {
      if (this.mesh === null || !Number.isSafeInteger(id) || id <= 0 || t >= this.mesh.size) return this.unknown();
      return this.mesh.sendTo(t, id, typeof data === "string" ? enc.encode(data) : data) ? "forwarded" : "dropped";
    }
    return this.sendLocal(id, data);
  }

  /** Delivery to a connection of this thread (from this thread, a peer thread or a handler thread). */
  sendLocal(id: number, data: PushData): SendResult {
    const s = this.host.subscriber?.(id) ?? this.byId.get(id);
    if (s === undefined) return this.unknown();
    this.host.stats[S_PS_PUSHES]++;
    return s.push(data) ? "sent" : "congested";
  }

  private unknown(): "unknown" {
    this.host.stats[S_PS_UNKNOWN_ID]++;
    return "unknown";
  }

  /** `ctx.publish` from this thread (or relayed for a handler thread): every subscriber on every I/O thread. */
  publish(topic: string, data: PushData, except: number = NONE): number {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    this.host.stats[S_PS_PUBLISHES]++;
    const n = this.deliver(topic, bytes, except);
    const mesh = this.mesh;
    if (mesh !== null) {
      mesh.publish(topic, except, bytes);
      // The broker is unreachable: this publish reaches this process only (the bridge reconnects meanwhile).
      if (mesh.brokerDown !== null && mesh.brokerDown[0] === 1) this.host.stats[S_PS_DROP_BROKER]++;
    }
    return n;
  }

  /** Writes one publish to this thread's subscribers of `topic`; returns how many. */
  deliver(topic: string, bytes: Uint8Array, except: number): number {
    const members = this.topics.get(topic);
    if (members === undefined) return 0;
    const host = this.host;
    const batch = host.batch;
    const turn = batch.turns;
    const events = host.events;
    // The topic's own string, not the one this publish named it with: a module's literal and a name decoded from a
    // peer's ring are different kinds of string, and comparing both here threw the optimized code away whenever the
    // publisher's thread changed (docs/platform-notes.md, "One shape on the delivery path").
    const name = members.name;
    const again = name === this.lastTopic && except === this.lastExcept && turn === this.lastTurn && events === this.lastEvents;
    if (again) this.streak++;
    else {
      this.prevStreak = this.streak;
      this.streak = 1;
    }
    // The run the last loop formed: this publish, copied once, reaches all of its subscribers.
    if (again && this.runCount > 0 && batch.extendRun(bytes)) {
      host.stats[S_PS_DELIVERIES] += this.runCount;
      return this.runCount;
    }
    this.lastTopic = name;
    this.lastExcept = except;
    this.lastTurn = turn;
    this.lastEvents = events;
    this.runCount = 0;
    // A publish in a row to these subscribers may form a run for the ones after it. Forming costs about a walk more than it saves until the third publish after it: it is tried at the second
    // publish of a sequence when the one before had four or more (a steady stream of bursts), else at every fourth
    // (the first burst, or after something ended a run).
    const st = this.streak;
    const forming = again && this.depth === 0 && (st === 2 ? this.prevStreak >= 4 : (st & 3) === 0);
    const changes = ++this.changes;
    let n = 0;
    let complete = false;
    // The subscribers not in an event of their own take the message into the thread's push batch, copied once for
    // all of them and written once per subscriber at the end of the turn.
    batch.fanout(true);
    if (forming) batch.joinBegin();
    this.depth++;
    // A subscriber dropped as a slow consumer leaves during the walk: its place is null until the walk ends.
    const list = members.walk();
    try {
      for (let i = 0; i < list.length; i++) {
        const s = list[i] as Subscriber | null;
        if (s === null || s.id === except) continue;
        s.push(bytes);
        if (forming) batch.join(s);
        n++;
      }
      complete = true;
    } finally {
      this.depth--;
      members.endWalk();
      batch.fanout(false);
      // Formed only if nothing else ran meanwhile (a close hook's publish or unsubscribe moved the count on).
      if (forming && batch.joinEnd(complete && this.changes === changes)) this.runCount = n;
    }
    host.stats[S_PS_DELIVERIES] += n;
    return n;
  }

  /**
   * Subscriptions and topics on this thread (tests; /status has the same as gauges). `connections`: the registered
   * ones (UDP senders); stream connections are in the thread's table.
   */
  get counts(): { topics: number; subscriptions: number; connections: number } {
    let subscriptions = 0;
    for (const members of this.topics.values()) subscriptions += members.size;
    return { topics: this.topics.size, subscriptions, connections: this.byId.size };
  }
}
