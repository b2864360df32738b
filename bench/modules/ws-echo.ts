// The grocketd side of `bun run bench:ws`: every WebSocket message is answered with itself (a text message as text,
// binary as binary); no check, so one message is one packet.
import { defineModule } from "../../src/index.ts";

export default defineModule({
  name: "ws-echo",
  version: "1.0.0",
  grocketd: "^0.1.0",
  proc: (packet) => packet,
});
