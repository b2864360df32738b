// The original grocket test module: echoes 44-byte "kiss" packets and insists that every id is the previous id
// on that connection plus one; anything else is logged and the connection is closed.
import { defineModule, type Logger } from "grocketd";

const KISS = 44;
let log: Logger | undefined;

export default defineModule({
  name: "kiss-check",
  version: "1.0.0",
  grocketd: "^0.1.0",
  init: (ctx) => void (log = ctx.log),
  accept: () => ({ last: 0 }),
  check: (buf, start, end) => (end - start >= KISS ? KISS : 0),
  proc(packet, conn) {
    let id = 0;
    let i = 0;
    for (; i < 11 && packet[i]! >= 0x30 && packet[i]! <= 0x39; i++) id = id * 10 + packet[i]! - 0x30;
    if (i === 0 || packet[i] !== 0x20 || packet[i + 1] !== 0 || id !== conn.state.last + 1) {
      log?.warn("kiss out of sequence; closing", { conn: conn.id, expected: conn.state.last + 1, got: i > 0 ? id : "no id" });
      conn.drop();
      return;
    }
    conn.state.last = id;
    return packet;
  },
});
