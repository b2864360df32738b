/**
 * @module pubsub/mesh
 * The rings between the I/O threads of one process, for `ctx.send` to a connection of another thread and for
 * publishes: one SPSC ring (src/ring/) from every I/O thread to every other, allocated by the master with the pool
 * rings (master/thread-supervisor.ts) and handed over at start; a replaced thread gets fresh rings and its peers are
 * told. A direct ring per pair, rather than a relay through one thread, keeps one hop and one copy per delivery and
 * no thread in the middle whose stall would stop everyone's traffic.
 *
 * A full ring drops the record and counts it (`pubsub.dropped.ring`): a publisher is never blocked by one slow
 * thread, so topics on the other threads keep flowing; the ring size (pubsub.ring_bytes) bounds what waits.
 * Records become visible once per event-loop turn (deferred publish, as the pool rings do), so a burst of publishes
 * wakes a sleeping peer once; that happens before the turn's local subscribers are written (pubsub/hub.ts), so the
 * peer works on its share while this thread writes its own.
 *
 * Record fields: kind, topic byte length, and a 53-bit connection id as two int32 halves (the excepted subscriber of
 * a publish, or the target of a send; 0 = none). Payload: the topic's UTF-8 bytes, then the data.
 */
import { describeError } from "../errors.ts";
import { RecordRing } from "../ring/record-ring.ts";
import { Ring } from "../ring/ring.ts";
import type { RingConsumer } from "../ring/ring-consumer.ts";
import { S_PS_DROP_RING } from "../stats/stat-fields.ts";
import type { Logger } from "../log/logger.ts";

/** Rings of one I/O thread: `out[j]` it writes to thread j, `in[j]` thread j writes to it (null for itself). */
export interface MeshRings {
  readonly out: readonly (SharedArrayBuffer | null)[];
  readonly in: readonly (SharedArrayBuffer | null)[];
  /** The member that is the process's main thread (the uplink to other processes and the broker), if any. */
  readonly uplink?: number | undefined;
  /** With a broker: one int32, 1 while it cannot be reached (pubsub/redis-bridge.ts). */
  readonly brokerDown?: SharedArrayBuffer | undefined;
}

export const M_PUBLISH = 1;
export const M_SEND = 2;
/** To the uplink only: a topic gained its first subscriber on this thread (id field 1) or lost its last (0). */
export const M_INTEREST = 3;
const FIELDS = 4;
const FIELD_BYTES = 16;
const TWO32 = 2 ** 32;
/** Topics up to this many UTF-8 bytes are remembered by the receiving side (pubsub/mesh.ts startConsumer). */
const TOPIC_CACHE_BYTES = 256;

export interface MeshHandler {
  /** A publish from a peer: `bytes[off..off+len)` is the data (the ring's memory: valid only during the call). */
  published(topic: string, bytes: Uint8Array, except: number): void;
  sent(id: number, bytes: Uint8Array): void;
  /** On the uplink: thread `peer` has subscribers to `topic` now (on) or none any more. */
  interest?(peer: number, topic: string, on: boolean): void;
}

interface Peer {
  tx: RecordRing;
  /** The outgoing data area as int32s, to patch a record's topic length after encoding it in place. */
  tx32: Int32Array;
  rx: Ring;
  rx32: Int32Array;
  consumer: RingConsumer | null;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const EMPTY = new Uint8Array(0);

export class Mesh {
  private readonly peers: (Peer | null)[] = [];
  /** Index of the uplink member, -1 without one. */
  readonly uplink: number;
  /** 1 while the broker cannot be reached (read at each publish); null without a broker. */
  readonly brokerDown: Int32Array | null;
  private readonly f = new Int32Array(FIELDS);
  private flushQueued = false;
  private stopped = false;
  /** Makes every record committed so far visible to its peer (waking it if it sleeps); the turn's own flush too. */
  readonly flushNow = (): void => {
    this.flushQueued = false;
    for (const p of this.peers) p?.tx.ring.flush();
  };

  constructor(
    rings: MeshRings,
    private readonly stats: () => Float64Array,
    private readonly handler: MeshHandler,
    private readonly log: Logger,
  ) {
    this.uplink = rings.uplink ?? -1;
    this.brokerDown = rings.brokerDown === undefined ? null : new Int32Array(rings.brokerDown);
    for (let j = 0; j < rings.out.length; j++) this.setPeer(j, rings.out[j] ?? null, rings.in[j] ?? null);
  }

  /** Number of I/O threads in the mesh (this one included). */
  get size(): number {
    return this.peers.length;
  }

  /** Peer j's rings (at start, or fresh ones when j was replaced: records of the dead thread are meaningless). */
  setPeer(j: number, out: SharedArrayBuffer | null, inp: SharedArrayBuffer | null): void {
    const old = this.peers[j];
    if (old) void old.consumer?.stop();
    if (out === null || inp === null) {
      this.peers[j] = null;
      return;
    }
    const tx = new RecordRing(Ring.attach(out), FIELDS);
    tx.ring.deferPublish = true;
    const rx = Ring.attach(inp);
    const tb = tx.ring.bytes;
    const peer: Peer = { tx, tx32: new Int32Array(tb.buffer, tb.byteOffset, tx.ring.capacity >>> 2), rx, rx32: new Int32Array(rx.bytes.buffer, rx.bytes.byteOffset, rx.capacity >>> 2), consumer: null };
    this.peers[j] = peer;
    if (!this.stopped) this.startConsumer(j, peer);
  }

  private startConsumer(j: number, p: Peer): void {
    const rx32 = p.rx32;
    const h = this.handler;
    // The last topic decoded from this ring, and its bytes: a run of publishes to one topic (the usual fan-out)
    // decodes it once instead of making a string per record.
    let lastTopic = "";
    const lastBytes = new Uint8Array(TOPIC_CACHE_BYTES);
    let lastLen = -1;
    // The same memory as the ring's data area, as a Buffer: the delivery path (pubsub/hub.ts deliver, a connection's
    // push) then meets one kind of view whether a publish came from this thread's packet (a Buffer view of the input
    // buffer) or from a peer; with two kinds its optimized code was thrown away and compiled again whenever the
    // publisher's thread changed (docs/platform-notes.md, "One shape on the delivery path"). Every record is read
    // through it (the poll's own `bytes` is the same data area, ring/ring.ts).
    const view = Buffer.from(p.rx.bytes.buffer, p.rx.bytes.byteOffset, p.rx.bytes.length);
    p.consumer = p.rx.startConsumer(
      (_bytes, off, len) => {
        const b = off >> 2;
        const kind = rx32[b]!;
        const topicLen = rx32[b + 1]!;
        // An id below 2^31 stays a small integer (as the publisher's own thread has it), not a double: the same reason.
        const hi = rx32[b + 2]!;
        const lo = rx32[b + 3]!;
        const id = hi === 0 && lo >= 0 ? lo : (hi >>> 0) * TWO32 + (lo >>> 0);
        const at = off + FIELD_BYTES;
        if (kind === M_PUBLISH) {
          let same = topicLen === lastLen;
          for (let i = 0; same && i < topicLen; i++) same = view[at + i] === lastBytes[i];
          if (!same) {
            lastTopic = dec.decode(view.subarray(at, at + topicLen));
            if (topicLen <= TOPIC_CACHE_BYTES) {
              lastBytes.set(view.subarray(at, at + topicLen));
              lastLen = topicLen;
            } else lastLen = -1;
          }
          h.published(lastTopic, view.subarray(at + topicLen, off + len), id === 0 ? -1 : id);
        } else if (kind === M_SEND) h.sent(id, view.subarray(at, off + len));
        else if (kind === M_INTEREST) h.interest?.(j, dec.decode(view.subarray(at, at + topicLen)), id === 1);
      },
      { spin: 32, onError: (err) => this.log.error("pubsub ring record failed", { peer: j, error: describeError(err) }) },
    );
  }

  /** One record per peer thread; returns how many peers it could not reach (full ring, counted). */
  publish(topic: string, except: number, data: Uint8Array): number {
    let dropped = 0;
    for (let j = 0; j < this.peers.length; j++) {
      const p = this.peers[j];
      if (p === null || p === undefined) continue;
      if (!this.put(p, M_PUBLISH, topic, except < 0 ? 0 : except, data)) dropped++;
    }
    if (dropped > 0) this.stats()[S_PS_DROP_RING] += dropped;
    return dropped;
  }

  /** `ctx.send` to a connection of thread j; false (counted) when its ring is full or the thread is not in the mesh. */
  sendTo(j: number, id: number, data: Uint8Array): boolean {
    const p = this.peers[j];
    if (p !== null && p !== undefined && this.put(p, M_SEND, "", id, data)) return true;
    this.stats()[S_PS_DROP_RING]++;
    return false;
  }

  private put(p: Peer, kind: number, topic: string, id: number, data: Uint8Array): boolean {
    const f = this.f;
    f[0] = kind;
    f[2] = Math.floor(id / TWO32);
    f[3] = id >>> 0;
    const maxTopic = topic.length * 3;
    const need = maxTopic + data.length;
    if (need > p.tx.maxPayloadBytes) {
      // Larger than one record can be: only an exact size may still fit.
      const exact = Buffer.byteLength(topic) + data.length;
      if (exact > p.tx.maxPayloadBytes) return false;
    }
    f[1] = 0;
    const at = p.tx.reserve(f, Math.min(need, p.tx.maxPayloadBytes));
    if (at < 0) return false;
    const bytes = p.tx.ring.bytes;
    let topicLen = 0;
    if (topic.length > 0) topicLen = enc.encodeInto(topic, bytes.subarray(at, at + maxTopic)).written;
    // The topic length is known only now: patch the field in place (the record is not visible before commit).
    p.tx32[((at - FIELD_BYTES) >> 2) + 1] = topicLen;
    bytes.set(data, at + topicLen);
    p.tx.commit(topicLen + data.length);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flushNow);
    }
    return true;
  }

  /** Tells the uplink (if any) that this thread has subscribers to `topic` now, or none any more. */
  interest(topic: string, on: boolean): void {
    const p = this.uplink < 0 ? null : this.peers[this.uplink];
    if (p === null || p === undefined) return;
    if (!this.put(p, M_INTEREST, topic, on ? 1 : 0, EMPTY)) this.stats()[S_PS_DROP_RING]++;
  }

  /** Records waiting in this thread's outgoing rings (statistics). */
  depth(): number {
    let n = 0;
    for (const p of this.peers) if (p) n += p.tx.ring.depth();
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.flushNow();
    await Promise.all(this.peers.map((p) => p?.consumer?.stop()));
  }
}
