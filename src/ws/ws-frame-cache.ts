/**
 * @module ws/ws-frame-cache
 * A publish is framed once per thread: the hub (pubsub/hub.ts) writes the same bytes object to every local
 * subscriber in one synchronous delivery loop, so the frame made for the first WebSocket subscriber is reused for
 * the others. Connections that compress (permessage-deflate, ws-deflate.ts) share a second one: a publish is
 * compressed once per thread and window size, not once per subscriber.
 *
 * A frame is reused only within the delivery loop it was made in (`loop`, io/push-batch.ts): the same object is
 * not the same bytes from one loop to the next: a module may refill its scratch buffer between two publishes or
 * sends, and a per-packet view of the thread's input buffer (io/io-context.ts packetView) is handed out again for
 * the next packet at that offset. Outside a loop (a lone push) nothing is reused. What is kept is dropped at the
 * end of the turn, so a large frame is not held in memory after its publish.
 */
import { deflateMessage, type DeflateParams } from "./ws-deflate.ts";
import { RSV1, frame } from "./ws-frame-writer.ts";

const EMPTY = new Uint8Array(0);
let lastLoop = 0;
let lastPayload: Uint8Array | null = null;
let lastOp = 0;
let lastFrame: Uint8Array = EMPTY;
let lastZLoop = 0;
let lastZPayload: Uint8Array | null = null;
let lastZOp = 0;
let lastZBits = 0;
let lastZFrame: Uint8Array = EMPTY;
let forgetQueued = false;
const forget = (): void => {
  lastLoop = lastZLoop = 0;
  lastPayload = lastZPayload = null;
  lastFrame = lastZFrame = EMPTY;
  forgetQueued = false;
};
const forgetLater = (): void => {
  if (forgetQueued) return;
  forgetQueued = true;
  queueMicrotask(forget);
};

/** The frame of message `r` with opcode `op`: the one made in this delivery loop `loop` when there is one (0: none). */
export function sharedFrame(op: number, r: Uint8Array, loop: number): Uint8Array {
  if (loop === 0) return frame(op, r);
  if (loop !== lastLoop || r !== lastPayload || op !== lastOp) {
    lastLoop = loop;
    lastPayload = r;
    lastOp = op;
    lastFrame = frame(op, r);
    forgetLater();
  }
  return lastFrame;
}

/** The same, compressed (RSV1). */
export function sharedDeflatedFrame(op: number, r: Uint8Array, p: DeflateParams, loop: number): Uint8Array {
  if (loop === 0) return frame(op, deflateMessage(r, p), RSV1);
  if (loop !== lastZLoop || r !== lastZPayload || op !== lastZOp || p.windowBits !== lastZBits) {
    lastZLoop = loop;
    lastZPayload = r;
    lastZOp = op;
    lastZBits = p.windowBits;
    lastZFrame = frame(op, deflateMessage(r, p), RSV1);
    forgetLater();
  }
  return lastZFrame;
}
