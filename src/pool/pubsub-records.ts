/**
 * @module pool/pubsub-records
 * The I/O thread's side of a handler thread's pushes, subscriptions, publishes and sends (records PS_*, see
 * pool-protocol.ts and pubsub-handler.ts). A push made while a proc ran (its record names that packet's seq) takes
 * its place just before that packet's reply, as a push from a synchronous inline proc joins the cork ahead of the
 * reply; any other push joins the end of the line. A push that finds the connection's output past high water
 * is answered with PS_STATE 1, and PS_STATE 0 once it drained, so the handler's `conn.send` and `conn.drained()`
 * mean what they mean inline.
 */
import type { RingLink } from "./ring-link.ts";
import { K_PS_PUBLISH, K_PS_PUSH, K_PS_SEND, K_PS_STATE, K_PS_SUB, K_PS_UNSUB } from "./pool-protocol.ts";
import { S_PS_PUSHES } from "../stats/stat-fields.ts";
import type { PubSubHub } from "../pubsub/hub.ts";

const dec = new TextDecoder();
const TWO32 = 2 ** 32;

/** A connection of this thread as the pool records use it (a StreamConnection, its pool session's `conn`). */
interface Pushable {
  readonly closed: boolean;
  push(data: Uint8Array): boolean;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  drained(): Promise<void>;
}

/** The endpoint a connection's records name: its pool session (pool-session.ts). */
interface Session {
  readonly conn: Pushable;
  /** A push made during the proc of packet `seq`: it leaves before that packet's reply. */
  pushBefore(seq: number, data: Uint8Array): boolean;
}

/** A push, subscription, publish or send from a handler thread; `e` is the endpoint the record names, if any. */
export type PubsubRecordHandler = (kind: number, e: unknown, no: number, seq: number, flags: number, bytes: Uint8Array, off: number, len: number) => void;

/** The pool client's side this needs (named here: pool-client.ts imports this file). */
export interface PubsubRoutes {
  onPubsub: PubsubRecordHandler;
  linkOf(e: never): RingLink;
}

export function routePoolPubsub(pool: PubsubRoutes, hub: PubSubHub, stats: () => Float64Array): void {
  /** Connections whose handler was told "congested" and not yet "drained". */
  const told = new Set<Pushable>();
  /** Parts of a WebSocket push larger than one record (flag 1: more follow), put together into one message. */
  const parts = new WeakMap<Pushable, Uint8Array[]>();
  pool.onPubsub = (kind, e, no, seq, flags, bytes, off, len) => {
    const hi = seq >>> 0;
    const lo = flags >>> 0;
    if (kind === K_PS_PUBLISH) {
      const topic = dec.decode(bytes.subarray(off, off + no));
      const except = hi * TWO32 + lo;
      hub.publish(topic, bytes.subarray(off + no, off + len), except === 0 ? -1 : except);
      return;
    }
    if (kind === K_PS_SEND) {
      hub.send(hi * TWO32 + lo, bytes.subarray(off, off + len));
      return;
    }
    // A connection's endpoint is its pool session (pool-session.ts); a UDP lane has no connection and gets no push.
    const session = e as Session | undefined;
    const c = session?.conn;
    if (c === undefined || c.closed) return;
    if (kind === K_PS_PUSH) {
      let data = bytes.subarray(off, off + len);
      const held = parts.get(c);
      if ((flags & 1) !== 0) {
        // A copy: the ring's memory is reused once this returns.
        if (held === undefined) parts.set(c, [data.slice()]);
        else held.push(data.slice());
        return;
      }
      if (held !== undefined) {
        parts.delete(c);
        held.push(data);
        data = Buffer.concat(held);
      }
      stats()[S_PS_PUSHES]++;
      if ((seq !== 0 ? session!.pushBefore(seq, data) : c.push(data)) || c.closed || told.has(c)) return;
      told.add(c);
      pool.linkOf(session as never).send(K_PS_STATE, no, 0, 1);
      void c.drained().then(() => {
        told.delete(c);
        if (!c.closed) pool.linkOf(session as never).send(K_PS_STATE, no, 0, 0);
      });
    } else if (kind === K_PS_SUB) c.subscribe(dec.decode(bytes.subarray(off, off + len)));
    else if (kind === K_PS_UNSUB) c.unsubscribe(dec.decode(bytes.subarray(off, off + len)));
  };
}
