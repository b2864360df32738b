/**
 * @module io/io-context
 * What one I/O thread owns and shares between its listeners: the coarse clock, the input and cork buffers, the set
 * of open connections (for idle sweeps and draining), and the thread's identity and settings. One instance per
 * thread, created at start; nothing here is shared with other threads except `stats`, this thread's counters in
 * shared memory, which only this thread writes and the status listener reads (stats/stats-slot.ts).
 */
import type { Config } from "../config/keys.ts";
import { RateLimitedLog, type Logger } from "../log/logger.ts";
import { Cork } from "./cork.ts";
import { PushBatch } from "./push-batch.ts";
import type { Backend } from "./backend.ts";
import type { AccessLog } from "../access-log/access-log.ts";
import { StatsSlot } from "../stats/stats-slot.ts";
import type { HandshakeDeadlines } from "./tls-handshake.ts";
import { PubSubHub, type Subscriber } from "../pubsub/hub.ts";
import { IdleGc } from "./idle-gc.ts";
import { ConnTable } from "./conn-table.ts";

/** A connection as the thread's housekeeping sees it (idle sweep, drain). */
export interface Housekept {
  /** Its id (newConnId): the thread's table of connections is kept in id order (conn-table.ts). */
  readonly id: number;
  /** "tcp", "http", "udp": draining treats them differently on reload. */
  readonly protocol?: string;
  /** True when nothing is in flight, queued or half-received: closing now loses nothing. */
  quiescent(): boolean;
  /** Close gracefully once quiescent (draining). */
  closeWhenDone(): void;
  /**
   * Reload: a newer generation serves, so this connection should move over soon, without racing a request the client
   * may be sending (HTTP: `Connection: close` on the next response; closed only once idle for a while).
   */
  moveOn?(): void;
  /** Close now, whatever is pending. */
  terminate(reason: string): void;
  /** Timer check: idle timeout and protocol deadlines. */
  tick(now: number): void;
}

/** Offsets below this get cached packet views: covers reads of up to 16 KiB of small packets, in 128 KiB per thread. */
const VIEW_CACHE = 16 * 1024;

export class IoContext {
  /** Coarse monotonic clock (ms), refreshed by the housekeeping tick: cheaper than performance.now() per event. */
  clock = performance.now();
  readonly cork = new Cork();
  /** Pushes and topic deliveries made outside the receiving connection's event, written once per turn (push-batch.ts). */
  readonly batch = new PushBatch();
  /**
   * Events begun on this thread's stream connections so far (a read, resumed input, an async reply: listen-stream.ts,
   * tcp-framing.ts, line-connection.ts, ws-connection.ts): a run of publishes (push-batch.ts) lasts only while none
   * begins, since in its own event a subscriber orders its pushes behind its replies (the cork, a reply owed).
   */
  events = 0;
  /** io.max_buffered: every push is bounded by it (tcp/tcp-connection.ts), one load here rather than three via config. */
  readonly maxBuffered: number;
  /** Per-thread input buffer that reads are copied into when a chunk holds more or less than one packet. */
  // A Buffer, not a plain Uint8Array: its subarray (one per packet handed to proc) is measurably cheaper in Bun.
  // Replace it only through replaceInBuf(), which also forgets the views cached for it.
  inBuf: Uint8Array = Buffer.allocUnsafeSlow(64 * 1024);
  /** inBuf as 32-bit words (the WebSocket reader unmasks a word at a time: ws/ws-frame-reader.ts). */
  inBuf32: Int32Array = words(this.inBuf);
  /**
   * Views of inBuf already handed to proc, by start offset. Making a view is the largest JS cost per packet in a busy
   * server (about 0.1 µs, a CPU profile at pipeline 16 put it above everything but the write syscall); with
   * fixed-size packets, every read lays them out at the same offsets, so the same views serve every read. A packet
   * is only valid during proc (inBuf is overwritten by the next read), so reusing the view object changes nothing a
   * module may rely on. Variable-size packets miss and pay one array load.
   */
  private views: (Uint8Array | null)[] = new Array<Uint8Array | null>(VIEW_CACHE).fill(null);
  /** Set when an async reply holds a view into inBuf or a pending buffer: those must not be reused. */
  loaned = false;
  /**
   * HTTP request bodies that arrived whole in one read, copied out of llhttp's WASM memory (which the next read on
   * any connection of this thread overwrites). Reused by every request whose hook finishes synchronously; a hook that
   * goes async may hold `req.body` across its await, so it keeps this buffer and the next body gets a new one.
   */
  private bodyArena: Uint8Array | null = null;
  readonly conns = new ConnTable<Housekept>();
  draining = false;
  /** A full collection once the thread is quiet after many connections let go of memory (idle-gc.ts). */
  readonly idleGc: IdleGc;
  /**
   * Who runs the modules' hooks for this thread (io/backend.ts): inline, or the handler pool when
   * `worker.disabled = false`. Set by the thread wiring (thread/io-thread.ts) before any listener opens.
   */
  backend!: Backend;
  /** This thread's fixed counters (stats/stat-fields.ts): a slot of its own until the thread is given its shared one. */
  stats: Float64Array = StatsSlot.detached().fields;
  /** The whole slot (request-duration histograms, stats/duration-histogram.ts); `stats` is its fixed fields. */
  slot: StatsSlot = StatsSlot.detached();
  /** The access log, when `access_log.path` is set. */
  accessLog: AccessLog | null = null;
  /** TLS connections still handshaking (tls-handshake.ts), once a tls:// or https:// listener opened here. */
  handshakes: HandshakeDeadlines | null = null;
  private nextId = 1;
  readonly noisy: RateLimitedLog;
  /** Server push and topics: connections by id, subscriptions, the rings to the other I/O threads (pubsub/hub.ts). */
  readonly pubsub: PubSubHub = new PubSubHub(this);

  /** The pubsub hub's lookup (pubsub/hub.ts HubHost): an open TCP, TLS or WebSocket connection of this thread. */
  subscriber(id: number): Subscriber | undefined {
    const c = this.conns.get(id);
    return c !== undefined && (c.protocol === "tcp" || c.protocol === "ws") ? (c as unknown as Subscriber) : undefined;
  }

  constructor(
    readonly index: number,
    readonly config: Config,
    readonly log: Logger,
  ) {
    this.noisy = new RateLimitedLog(log, 20);
    this.maxBuffered = config.io.max_buffered;
    this.idleGc = new IdleGc(config.io.idle_gc_after, config.io.idle_gc_interval_ms);
  }

  /** Ids are unique within the process: the thread index sits in the low bits (pubsub/conn-id.ts reads it back). */
  newConnId(): number {
    return this.nextId++ * 1024 + this.index;
  }

  /** The view inBuf[off..off+n) to hand to proc. */
  packetView(off: number, n: number): Uint8Array {
    if (off >= VIEW_CACHE) return this.inBuf.subarray(off, off + n);
    const v = this.views[off]!;
    if (v !== null && v.length === n) return v;
    return (this.views[off] = this.inBuf.subarray(off, off + n));
  }

  /** `v` copied into the body arena; the view returned is valid until the next body unless loanBody() is called. */
  arenaBody(v: Uint8Array): Uint8Array {
    let a = this.bodyArena;
    if (a === null || a.length < v.length) a = this.bodyArena = new Uint8Array(Math.max(16 * 1024, v.length));
    a.set(v, 0);
    return a.subarray(0, v.length);
  }

  /** The last arena body is held by a hook that went async: never overwrite it. */
  loanBody(): void {
    this.bodyArena = null;
  }

  /** A fresh input buffer of at least `min` bytes: the old one is loaned to an async reply, or too small. */
  replaceInBuf(min: number): Uint8Array {
    let size = this.inBuf.length;
    while (size < min) size *= 2;
    this.inBuf = Buffer.allocUnsafeSlow(size);
    this.inBuf32 = words(this.inBuf);
    this.views.fill(null);
    return this.inBuf;
  }
}

/** An Int32Array over the whole words of `b` (a buffer of its own: allocUnsafeSlow, byte offset 0). */
export function words(b: Uint8Array): Int32Array {
  return new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);
}
