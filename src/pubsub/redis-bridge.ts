/**
 * @module pubsub/redis-bridge
 * Topics across grocketd instances (`pubsub.redis = "redis://host:port"`) through Redis pub/sub, with Bun's built-in
 * RedisClient. It runs on the process's main thread, the mesh uplink (pubsub/mesh.ts): every publish made on this
 * process's I/O threads reaches it, and it PUBLISHes it on channel `grocketd:<topic>`; it SUBSCRIBEs once per topic
 * that has a subscriber on any of this process's I/O threads (the threads report when a topic gains its first or
 * loses its last subscriber), and hands what arrives to every I/O thread of the process.
 *
 * Messages carry this process's random id first, so the copy Redis sends back to its own publisher is skipped (local
 * subscribers got it already). Payloads are bytes carried as a latin1 string (RedisClient's pub/sub is string-only;
 * latin1 maps each byte to one character and back, so nothing is lost).
 *
 * When Redis goes away, local delivery carries on untouched; the bridge sets a shared flag that the I/O threads read
 * at each publish, so publishes made meanwhile are counted (`pubsub.dropped.broker_down`), and it reconnects with
 * back-off (100 ms doubling to 5 s), subscribing again to every topic that still has subscribers. Commands are not
 * queued while it is down (enableOfflineQueue: false), so nothing unbounded builds up. A publish handed to Redis
 * that fails anyway (the connection went away mid-flight) is counted on this thread's slot (`broker_down`, role
 * "main" in /status).
 */
import { RedisClient } from "bun";
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { S_PS_DROP_BROKER } from "../stats/stat-fields.ts";

const PREFIX = "grocketd:";
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

export interface BridgeHost {
  /** A publish from another instance: to every I/O thread of this process. */
  deliver(topic: string, bytes: Uint8Array): void;
  /** Shared with the I/O threads: 1 while Redis cannot be reached (they count their publishes as dropped). */
  readonly down: Int32Array;
  readonly log: Logger;
  /** The main thread's counters: a publish Redis refused once handed to it counts as S_PS_DROP_BROKER. */
  readonly stats: Float64Array;
}

export class RedisBridge {
  private pub: RedisClient | null = null;
  private sub: RedisClient | null = null;
  /** Topics with subscribers, per I/O thread (a replaced thread's set is dropped with it). */
  private readonly byThread = new Map<number, Set<string>>();
  /** How many threads have subscribers to each topic. */
  private readonly interest = new Map<string, number>();
  private readonly id = Math.random().toString(36).slice(2, 10);
  private backoff = BACKOFF_MIN_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private up = false;
  private stopped = false;
  private generation = 0;
  /** Publishes that reached the bridge but could not be handed to Redis (it went away mid-flight). */
  unrelayed = 0;
  private readonly onMessage = (message: string, channel: string): void => {
    const nl = message.indexOf("\n");
    if (nl < 0 || message.slice(0, nl) === this.id || !channel.startsWith(PREFIX)) return;
    this.host.deliver(channel.slice(PREFIX.length), Buffer.from(message.slice(nl + 1), "latin1"));
  };

  constructor(
    private readonly url: string,
    private readonly host: BridgeHost,
  ) {
    Atomics.store(host.down, 0, 1);
    void this.connect();
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    const opts = { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: 2000 };
    const pub = new RedisClient(this.url, opts);
    const sub = new RedisClient(this.url, opts);
    this.pub = pub;
    this.sub = sub;
    const lost = (err?: unknown) => this.lost(gen, err);
    pub.onclose = lost;
    sub.onclose = lost;
    try {
      await pub.connect();
      await sub.connect();
      const topics = [...this.interest.keys()];
      if (topics.length > 0) await sub.subscribe(topics.map((t) => PREFIX + t), this.onMessage);
      if (gen !== this.generation || this.stopped) return;
      this.up = true;
      this.backoff = BACKOFF_MIN_MS;
      Atomics.store(this.host.down, 0, 0);
      this.host.log.info("pubsub: connected to redis", { url: this.url, topics: topics.length });
    } catch (err) {
      lost(err);
    }
  }

  private lost(gen: number, err?: unknown): void {
    if (gen !== this.generation || this.stopped) return;
    this.generation++; // the other client's close, and late callbacks of this attempt, are ignored
    // The flag first: once the line below is out, every publish the I/O threads make is known to be local only.
    Atomics.store(this.host.down, 0, 1);
    if (this.up) {
      this.host.log.warn("pubsub: redis connection lost; local delivery goes on, reconnecting", { url: this.url, error: err === undefined ? undefined : describeError(err) });
    } else if (this.backoff === BACKOFF_MIN_MS) {
      this.host.log.warn("pubsub: cannot reach redis; retrying with back-off", { url: this.url, error: err === undefined ? undefined : describeError(err) });
    }
    this.up = false;
    this.closeClients();
    const delay = this.backoff;
    this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  private closeClients(): void {
    for (const c of [this.pub, this.sub]) {
      if (c === null) continue;
      c.onclose = null;
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    this.pub = null;
    this.sub = null;
  }

  /** A publish made on one of this process's I/O threads. */
  publish(topic: string, bytes: Uint8Array): void {
    const pub = this.pub;
    if (!this.up || pub === null) return; // counted by the I/O thread, which saw the flag
    const msg = `${this.id}\n${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1")}`;
    pub.publish(PREFIX + topic, msg).catch(() => {
      this.unrelayed++;
      this.host.stats[S_PS_DROP_BROKER]++;
    });
  }

  /** I/O thread `thread` has its first subscriber to `topic` (on) or lost its last (off). */
  interestChanged(thread: number, topic: string, on: boolean): void {
    let set = this.byThread.get(thread);
    if (set === undefined) this.byThread.set(thread, (set = new Set()));
    if (on === set.has(topic)) return;
    if (on) set.add(topic);
    else set.delete(topic);
    const n = (this.interest.get(topic) ?? 0) + (on ? 1 : -1);
    if (n > 0) this.interest.set(topic, n);
    else this.interest.delete(topic);
    const sub = this.sub;
    if (!this.up || sub === null) return; // the next connect subscribes to what is wanted then
    if (on && n === 1) sub.subscribe(PREFIX + topic, this.onMessage).catch(() => {});
    else if (!on && n === 0) sub.unsubscribe(PREFIX + topic).catch(() => {});
  }

  /** Thread `thread` was replaced: its subscribers are gone with it. */
  threadReplaced(thread: number): void {
    for (const t of [...(this.byThread.get(thread) ?? [])]) this.interestChanged(thread, t, false);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.closeClients();
    if (this.unrelayed > 0) this.host.log.warn("pubsub: publishes redis did not take", { count: this.unrelayed });
  }
}
