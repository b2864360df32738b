// Bench module for the handler pool: the kiss echo, except that one packet in 100 blocks its thread for 2 ms
// (Atomics.wait, no CPU), standing in for a blocking call such as a synchronous driver or file read.
import { defineModule } from "../../src/index.ts";

const KISS = 44;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let n = 0;

export default defineModule({
  name: "blocking-echo",
  version: "1.0.0",
  grocketd: "^0.1.0",
  check: (_buf, start, end) => (end - start >= KISS ? KISS : 0),
  proc(packet) {
    if (++n % 100 === 0) Atomics.wait(sleeper, 0, 0, 2);
    return packet;
  },
});
