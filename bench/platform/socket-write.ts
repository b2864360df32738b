/**
 * Platform probe (docs/platform-notes.md "Socket writes and timeouts"): what Bun's socket.write() does when the kernel
 * is full, and when socket.timeout(1) fires. A server writes 64 MiB to a client on 127.0.0.1 that does not read for
 * 1.5 s, then sets a 1 s timeout on an idle connection and waits 9 s for it.
 *
 *   bun bench/platform/socket-write.ts
 */
import { connect } from "node:net";

const big = new Uint8Array(64 << 20);
const t0 = performance.now();
const ms = () => (performance.now() - t0).toFixed(0);
let written = 0;
let drains = 0;
let timeoutSet = 0;
const timeouts: string[] = [];
const server = Bun.listen<{ idle: boolean }>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      s.data = { idle: false };
    },
    data(s, d) {
      if (d.toString() === "idle") {
        s.data.idle = true;
        s.timeout(1);
        timeoutSet = performance.now();
        console.log(`${ms()} ms: socket.timeout(1) set on an idle connection`);
        return;
      }
      written = s.write(big, 0, big.length);
      console.log(`${ms()} ms: write(64 MiB) returned ${written}`);
      console.log(`${ms()} ms: write of the rest at once returned ${s.write(big, written, big.length - written)}`);
    },
    drain(s) {
      if (s.data.idle || written === big.length) return;
      drains++;
      written += s.write(big, written, big.length - written);
      if (written === big.length) console.log(`${ms()} ms: all 64 MiB written after ${drains} drain events (the server kept the rest itself)`);
    },
    timeout() {
      timeouts.push(`${(performance.now() - timeoutSet).toFixed(0)} ms after it was set`);
    },
  },
});

const c = connect(server.port, "127.0.0.1");
c.pause();
c.write("go");
await Bun.sleep(1500);
let got = 0;
const all = Promise.withResolvers<void>();
c.on("data", (d: Buffer) => { got += d.length; if (got === big.length) all.resolve(); });
c.resume();
await all.promise;
c.destroy();

const idle = connect(server.port, "127.0.0.1");
idle.write("idle");
const t1 = performance.now();
await Bun.sleep(9000);
console.log(`timeout events seen (${(performance.now() - t1).toFixed(0)} ms watched): ${timeouts.length} at ${timeouts.join(", ")}`);
idle.destroy();
server.stop(true);
