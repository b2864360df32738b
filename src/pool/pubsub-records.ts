/**
 * @module pool/pubsub-records
 * The I/O thread's side of a handler thread's pushes, subscriptions, publishes and sends (records PS_*, see
 * pool-protocol.ts and pubsub-handler.ts). A push that finds the connection's output past high water
 * is answered with PS_STATE 1, and PS_STATE 0 once it drained, so the handler's `conn.send` and `conn.drained()`
 * mean what they mean inline.
 */
import type { RingLink } from "./ring-link.ts";
import { K_PS_PUBLISH, K_PS_PUSH, K_PS_SEND, K_PS_STATE, K_PS_SUB, K_PS_UNSUB } from "./pool-protocol.ts";
import { S_PS_PUSHES } from "../stats/stat-fields.ts";
import type { PubSubHub } from "../pubsub/hub.ts";

const dec = new TextDecoder();
const TWO32 = 2 ** 32;

/** A connection of this thread as the pool records use it (StreamConnection). */
interface Pushable {
  readonly closed: boolean;
  push(data: Uint8Array): boolean;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  drained(): Promise<void>;
}

/** A push, subscription, publish or send from a handler thread; `e` is the connection the record names, if any. */
export type PubsubRecordHandler = (kind: number, e: unknown, no: number, seq: number, flags: number, bytes: Uint8Array, off: number, len: number) => void;

/** The pool client's side this needs (named here: pool-client.ts imports this file). */
export interface PubsubRoutes {
  onPubsub: PubsubRecordHandler;
  linkOf(e: never): RingLink;
}

export function routePoolPubsub(pool: PubsubRoutes, hub: PubSubHub, stats: () => Float64Array): void {
  /** Connections whose handler was told "congested" and not yet "drained". */
  const told = new Set<Pushable>();
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
    const c = e as Pushable | undefined;
    if (c === undefined || c.closed) return;
    if (kind === K_PS_PUSH) {
      stats()[S_PS_PUSHES]++;
      if (c.push(bytes.subarray(off, off + len)) || c.closed || told.has(c)) return;
      told.add(c);
      pool.linkOf(c as never).send(K_PS_STATE, no, 0, 1);
      void c.drained().then(() => {
        told.delete(c);
        if (!c.closed) pool.linkOf(c as never).send(K_PS_STATE, no, 0, 0);
      });
    } else if (kind === K_PS_SUB) c.subscribe(dec.decode(bytes.subarray(off, off + len)));
    else if (kind === K_PS_UNSUB) c.unsubscribe(dec.decode(bytes.subarray(off, off + len)));
  };
}
