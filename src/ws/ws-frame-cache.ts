/**
 * @module ws/ws-frame-cache
 * A publish is framed once per thread: the hub (pubsub/hub.ts) writes the same bytes object to every local
 * subscriber in one synchronous loop, so the frame made for the first WebSocket subscriber is reused for the others
 * and forgotten at the end of the turn. Connections that compress (permessage-deflate, ws-deflate.ts) share a
 * second one: a publish is compressed once per thread and window size, not once per subscriber.
 */
import { deflateMessage, type DeflateParams } from "./ws-deflate.ts";
import { RSV1, frame } from "./ws-frame-writer.ts";

const EMPTY = new Uint8Array(0);
let lastPayload: Uint8Array | null = null;
let lastOp = 0;
let lastFrame: Uint8Array = EMPTY;
let lastZPayload: Uint8Array | null = null;
let lastZOp = 0;
let lastZBits = 0;
let lastZFrame: Uint8Array = EMPTY;
let forgetQueued = false;
const forget = (): void => {
  lastPayload = null;
  lastFrame = EMPTY;
  lastZPayload = null;
  lastZFrame = EMPTY;
  forgetQueued = false;
};
const forgetLater = (): void => {
  if (forgetQueued) return;
  forgetQueued = true;
  queueMicrotask(forget);
};

/** The frame of message `r` with opcode `op` (the last one made, when it is the same bytes object). */
export function sharedFrame(op: number, r: Uint8Array): Uint8Array {
  if (r !== lastPayload || op !== lastOp) {
    lastPayload = r;
    lastOp = op;
    lastFrame = frame(op, r);
    forgetLater();
  }
  return lastFrame;
}

/** The same, compressed (RSV1). */
export function sharedDeflatedFrame(op: number, r: Uint8Array, p: DeflateParams): Uint8Array {
  if (r !== lastZPayload || op !== lastZOp || p.windowBits !== lastZBits) {
    lastZPayload = r;
    lastZOp = op;
    lastZBits = p.windowBits;
    lastZFrame = frame(op, deflateMessage(r, p), RSV1);
    forgetLater();
  }
  return lastZFrame;
}
