// Test module: answers every datagram with the index of the I/O thread that handled it.
import { defineModule } from "../../src/index.ts";

export default defineModule({
  name: "thread-id",
  version: "1.0.0",
  grocketd: "^0.1.0",
  proc: (_p, conn) => `${conn.thread}`,
});
