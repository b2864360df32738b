// The bare node:dgram UDP echo: the anchor the UDP benchmark measures grocketd against (the baseline).
// Each datagram goes straight back to its sender; no framing, no batching.
// Usage: bun bench/bare-udp-echo.ts [--host 127.0.0.1] [--port 0]   → prints "listening <port>" once bound.

import { createSocket } from "node:dgram";
import { parseArgs } from "./lib/cli-args.ts";

const args = parseArgs(process.argv.slice(2), { host: "string", port: "number" }, "usage: bare-udp-echo.ts [--host H] [--port P]");
const host = args.host ?? "127.0.0.1";
const sock = createSocket({ type: host.includes(":") ? "udp6" : "udp4", reusePort: true });
sock.on("message", (m, r) => {
  sock.send(m, r.port, r.address);
});
sock.bind(args.port ?? 0, host, () => {
  process.stdout.write(`listening ${sock.address().port}\n`);
});
const shutdown = () => {
  sock.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
