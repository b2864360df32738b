/**
 * @module pool/pubsub-handler
 * Server push and topics on a handler thread (pool mode). Connections live on the I/O threads, so everything is a
 * record on the ring pair to one of them (pool-protocol.ts, kinds PS_*): a push or a subscription to the I/O
 * thread that owns the connection, a `ctx.send` to the thread the id names, a publish to one fixed I/O thread
 * (the first live one), which fans it out like its own publish. One fixed relay keeps one publisher's order per
 * topic. The pool rings never drop (pool/ring-link.ts parks records behind a full ring), so nothing here is lost
 * while the I/O thread lives.
 */
import type { PushData, SendResult } from "../module/types.ts";
import type { PushService } from "../module/module-runtime.ts";
import type { RingLink } from "./ring-link.ts";
import { K_PS_PUBLISH, K_PS_SEND } from "./pool-protocol.ts";
import { threadOfId } from "../pubsub/conn-id.ts";

const enc = new TextEncoder();
const TWO32 = 2 ** 32;

export function bytesOf(data: PushData): Uint8Array {
  return typeof data === "string" ? enc.encode(data) : data;
}

export class HandlerPubSub implements PushService {
  constructor(private readonly links: () => ReadonlyArray<{ readonly link: RingLink } | undefined>) {}

  send(id: number, data: PushData): SendResult {
    const l = Number.isSafeInteger(id) && id > 0 ? this.links()[threadOfId(id)] : undefined;
    if (l === undefined) return "unknown";
    const b = bytesOf(data);
    if (b.length > l.link.maxPayload) return "dropped";
    l.link.send(K_PS_SEND, 0, Math.floor(id / TWO32), id >>> 0, b, 0, b.length);
    return "forwarded";
  }

  publish(topic: string, data: PushData, except: number): number {
    const l = this.links().find((x) => x !== undefined);
    if (l === undefined) return 0;
    const t = enc.encode(topic);
    const b = bytesOf(data);
    if (t.length + b.length > l.link.maxPayload) return 0;
    const p = new Uint8Array(t.length + b.length);
    p.set(t, 0);
    p.set(b, t.length);
    const e = except < 0 ? 0 : except;
    l.link.send(K_PS_PUBLISH, t.length, Math.floor(e / TWO32), e >>> 0, p, 0, p.length);
    return 0;
  }
}
