// The UDP benchmark's module: a packet is the whole datagram (so any --size works; modules/echo.ts frames 44-byte
// packets and would call a 64-byte datagram bad), answered with itself.
import { defineModule } from "../../src/index.ts";

export default defineModule({
  name: "udp-echo",
  version: "1.0.0",
  grocketd: "^0.1.0",
  check: (_buf, start, end) => end - start,
  proc: (packet) => packet,
});
