// Bench module for `bench:soak`: a well-behaved echo for the normal clients, plus the faults a buggy module or a
// hostile request can trigger, each on purpose and each named by its input:
//   TCP, newline-framed: "SPIN" busy-loops its thread for ever; "HOLD" answers after a promise that never settles;
//   anything else is echoed.
//   HTTP: GET /crash exits its thread (process.exit in a Worker); GET /big answers 256 KiB (for slow readers);
//   anything else answers "ok".
import { defineModule } from "../../src/index.ts";

const NL = 10;
const big = "x".repeat(256 * 1024);
const SPIN = "SPIN";
const HOLD = "HOLD";

function isWord(packet: Uint8Array, word: string): boolean {
  // packet includes its newline
  if (packet.length !== word.length + 1) return false;
  for (let i = 0; i < word.length; i++) if (packet[i] !== word.charCodeAt(i)) return false;
  return true;
}

export default defineModule({
  name: "soak",
  version: "1.0.0",
  grocketd: "^0.1.0",
  check(buf, start, end) {
    const nl = buf.indexOf(NL, start);
    return nl >= 0 && nl < end ? nl - start + 1 : end - start > 4096 ? -1 : 0;
  },
  proc(packet) {
    if (isWord(packet, SPIN)) for (;;);
    if (isWord(packet, HOLD)) return new Promise<undefined>(() => {});
    return packet;
  },
  http(req) {
    if (req.path === "/crash") process.exit(1);
    if (req.path === "/big") return big;
    return "ok";
  },
});
