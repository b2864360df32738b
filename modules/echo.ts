// The bundled demo: echoes the 44-byte "kiss" packets of the original grocket test client
// (decimal id, a space, a NUL byte, 'A' padding) on TCP, and on HTTP as binary over HTTP (POST /binary).
import { defineModule } from "grocketd";

const KISS = 44;

export default defineModule({
  name: "echo",
  version: "1.0.0",
  grocketd: "^0.1.0",
  // Framing: a packet is exactly 44 bytes; fewer means "wait for more".
  check: (buf, start, end) => (end - start >= KISS ? KISS : 0),
  // Processing: answer every packet with itself.
  proc: (packet) => packet,
});
