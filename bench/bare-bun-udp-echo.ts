// A bare Bun.udpSocket UDP echo: each datagram sent straight back with `send`. A second reference point for the UDP
// benchmark: it shows what the socket API itself costs, below node:dgram's JS layer.
// Usage: bun bench/bare-bun-udp-echo.ts [--host 127.0.0.1] [--port 0]   → prints "listening <port>" once bound.

import { parseArgs } from "./lib/cli-args.ts";

const args = parseArgs(process.argv.slice(2), { host: "string", port: "number" }, "usage: bare-bun-udp-echo.ts [--host H] [--port P]");
const sock = await Bun.udpSocket({
  hostname: args.host ?? "127.0.0.1",
  port: args.port ?? 0,
  binaryType: "uint8array",
  socket: {
    data(s, d, port, address) {
      s.send(d, port, address);
    },
  },
});
process.stdout.write(`listening ${sock.port}\n`);
const shutdown = () => {
  sock.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
