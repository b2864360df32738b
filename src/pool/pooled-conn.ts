/**
 * @module pool/pooled-conn
 * A connection as a handler thread sees it: the `Conn` its hooks get (with the state `accept` returned, which lives
 * here, next to the code that uses it), plus the bookkeeping that lets `close` run once, after the last reply.
 * Pushes and subscriptions become records to the I/O thread that owns the connection (pubsub-handler.ts);
 * that thread answers a push that finds the output past high water with a PS_STATE record, and again once drained.
 */
import type { Conn, Protocol, PublishOptions, PushData } from "../module/types.ts";
import type { PushService } from "../module/module-runtime.ts";
import type { PoolBodyIn } from "./pool-body.ts";
import { K_PS_PUSH, K_PS_SUB, K_PS_UNSUB, type ConnInfo } from "./pool-protocol.ts";
import type { RingLink } from "./ring-link.ts";

const enc = new TextEncoder();

/** What the handler thread does to a response in progress (record-sink.ts's RecordSink; named here so this file
 * does not import record-sink.ts, which imports this one). */
export interface ResponseInProgress {
  /** The I/O thread took a streamed chunk: the handler may write more. */
  ack(): void;
  /** The connection went away: settle what waits on the response. */
  abort(): void;
}

export class PooledConn implements Conn<unknown> {
  readonly id: number;
  /** "http" becomes "ws" after a WebSocket upgrade (upgraded()). */
  protocol: Protocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly thread: number;
  state: unknown = undefined;
  /** Replies still being computed (async procs and handlers). */
  inflight = 0;
  closeRequested = false;
  dropRequested = false;
  /** A UDP listener's lane: a packet of the current datagram called close() or drop(), so its later ones are skipped. */
  datagramStopped = false;
  /** The I/O thread closed the connection. */
  gone = false;
  accepted = false;
  closeHookDone = false;
  /** The HTTP response in progress (one at a time: the I/O thread sends the next request after it). */
  response: ResponseInProgress | null = null;
  /** The request body being streamed to a `fetch` hook (BODY records, pool-body.ts); null: none. */
  body: PoolBodyIn | null = null;

  constructor(
    info: ConnInfo,
    /** The connection's number on its I/O thread (the ring records' conn field). */
    readonly no: number,
    /** Index of the serving module. */
    readonly module: number,
  ) {
    this.id = info.id;
    this.protocol = info.protocol;
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
    this.localPort = info.localPort;
    this.thread = info.thread;
  }

  /** Set by the handler thread: the ring pair to this connection's I/O thread, and ctx.publish's service. */
  link: RingLink | null = null;
  pubsub: PushService | null = null;
  /** The I/O thread said the output is past high water (PS_STATE). */
  congested = false;
  private waiters: Array<() => void> | null = null;
  private subs: Set<string> | null = null;

  close(): void {
    this.closeRequested = true;
  }

  /** What binary over HTTP reads after each proc call to stop at a drop() (the same field name as inline). */
  get dropping(): boolean {
    return this.dropRequested;
  }

  send(data: PushData): boolean {
    // A UDP conn is its sender on the I/O thread (io/udp/udp-senders.ts): reached by id, any time until it expires.
    if (this.protocol === "udp") return this.pubsub !== null && this.pubsub.send(this.id, data) === "forwarded";
    const link = this.link;
    if (link === null || this.gone || this.closeRequested || !this.streams) return false;
    const b = typeof data === "string" ? enc.encode(data) : data;
    // A push larger than one record goes as several, in order: on TCP a byte stream; a WebSocket message is put
    // together again on the I/O thread (flag 1: more parts follow), so it stays one message.
    const max = link.maxPayload;
    const more = this.protocol === "ws" ? 1 : 0;
    for (let off = 0; off < b.length; off += max) {
      const n = Math.min(max, b.length - off);
      // procSeq: made during that packet's proc, so it leaves before its reply (as inline, where it joins the cork first).
      link.send(K_PS_PUSH, this.no, this.procSeq, off + n < b.length ? more : 0, b, off, n);
    }
    return !this.congested;
  }

  /** The sequence number of the packet whose proc runs now on this conn (handler-thread.ts sets it), 0 outside. */
  procSeq = 0;

  /** TCP/TLS, and a WebSocket once the I/O thread said the upgrade happened (WS_OPEN): push and topics work. */
  private get streams(): boolean {
    return this.protocol === "tcp" || this.protocol === "ws";
  }

  /** WS_OPEN: the HTTP connection this conn was opened for is a WebSocket connection now. */
  upgraded(): void {
    this.protocol = "ws";
  }

  /** PS_STATE from the I/O thread; also called with false when the connection is gone (waiters are released). */
  setCongested(on: boolean): void {
    this.congested = on;
    if (on) return;
    const w = this.waiters;
    this.waiters = null;
    if (w !== null) for (const f of w) f();
  }

  drained(): Promise<void> {
    if (!this.congested || this.gone) return Promise.resolve();
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }

  subscribe(topic: string): boolean {
    if (this.link === null || this.gone || this.closeRequested || !this.streams) return false;
    const subs = (this.subs ??= new Set());
    if (subs.has(topic)) return true;
    subs.add(topic);
    const t = enc.encode(topic);
    this.link.send(K_PS_SUB, this.no, 0, 0, t, 0, t.length);
    return true;
  }

  unsubscribe(topic: string): boolean {
    if (this.subs === null || !this.subs.delete(topic)) return false;
    if (this.link !== null && !this.gone) {
      const t = enc.encode(topic);
      this.link.send(K_PS_UNSUB, this.no, 0, 0, t, 0, t.length);
    }
    return true;
  }

  get topics(): readonly string[] {
    return this.subs === null || this.gone ? [] : [...this.subs];
  }

  publish(topic: string, data: PushData, options?: PublishOptions): number {
    return this.pubsub === null ? 0 : this.pubsub.publish(topic, data, options?.exceptSelf === true ? this.id : (options?.except ?? -1));
  }

  drop(): void {
    this.dropRequested = true;
    this.closeRequested = true;
  }
}
