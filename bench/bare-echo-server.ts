// The bare Bun.listen echo server: the anchor grocketd is measured against. It does no framing: each chunk is
// written straight back, and only a short write takes the slow path (keep the rest, resend on drain).
// Usage: bun bench/bare-echo-server.ts [--host 127.0.0.1] [--port 0]   → prints "listening <port>" once ready.

import type { Socket } from "bun";
import { parseArgs } from "./lib/cli-args.ts";

const args = parseArgs(process.argv.slice(2), { host: "string", port: "number" }, "usage: bare-echo-server.ts [--host H] [--port P]");

/** Bytes the kernel did not take yet; later chunks queue behind them so the echo stays in order. */
type Conn = { rest: Buffer | null };

function flush(s: Socket<Conn>): void {
  const rest = s.data.rest!;
  const n = s.write(rest, 0, rest.length);
  if (n < 0) s.data.rest = null;
  else s.data.rest = n === rest.length ? null : rest.subarray(n);
}

const server = Bun.listen<Conn>({
  hostname: args.host ?? "127.0.0.1",
  port: args.port ?? 0,
  socket: {
    open(s) {
      s.data = { rest: null };
    },
    data(s, chunk) {
      if (s.data.rest) {
        s.data.rest = Buffer.concat([s.data.rest, chunk]);
        return flush(s);
      }
      const n = s.write(chunk);
      if (n >= 0 && n < chunk.length) s.data.rest = chunk.subarray(n);
    },
    drain(s) {
      if (s.data.rest) flush(s);
    },
  },
});

process.stdout.write(`listening ${server.port}\n`);
const shutdown = () => {
  server.stop(true);
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
