// `bun run bench:udp`: kiss datagrams over UDP with a window of outstanding datagrams per socket, every echo
// compared byte for byte; reports echoes per second, loss (no echo within --timeout-ms) and latency percentiles.
// Exit code 1 on any mismatch, socket error or loss.

import { parseArgs } from "./lib/cli-args.ts";
import { runUdpClient } from "./lib/udp-kiss-client.ts";
import { formatUdpSummary } from "./lib/udp-report.ts";

const USAGE = `usage: bun bench/udp-client.ts [--host 127.0.0.1] [--port 8000] [--window 64] [--size 64] [--sockets 1]
       [--duration 4] [--timeout-ms 500] [--no-progress] [--json]
  --window N      datagrams outstanding per socket
  --size B        datagram size (kiss packet: decimal id, space, NUL, 'A' padding), at least 18
  --sockets N     client sockets (source ports), all in this thread
  --timeout-ms T  an echo not back after T ms counts its datagram as lost
  --json          print a JSON summary as the last line of stdout (the text report goes to stderr)`;

const a = parseArgs(
  process.argv.slice(2),
  {
    host: "string",
    port: "number",
    window: "number",
    size: "number",
    sockets: "number",
    duration: "number",
    "timeout-ms": "number",
    "no-progress": "boolean",
    json: "boolean",
  },
  USAGE,
);

const abort = new AbortController();
process.on("SIGINT", () => {
  if (abort.signal.aborted) process.exit(130);
  abort.abort();
});

try {
  const s = await runUdpClient({
    host: a.host ?? "127.0.0.1",
    port: a.port ?? 8000,
    window: a.window ?? 64,
    size: a.size ?? 64,
    sockets: a.sockets ?? 1,
    durationSec: a.duration ?? 4,
    timeoutMs: a["timeout-ms"] ?? 500,
    progress: !a["no-progress"] && !a.json,
    signal: abort.signal,
  });
  const text = formatUdpSummary(s);
  if (a.json) {
    process.stderr.write(`${text}\n`);
    process.stdout.write(`${JSON.stringify(s)}\n`);
  } else process.stdout.write(`${text}\n`);
  process.exitCode = s.ok ? 0 : 1;
} catch (e) {
  process.stderr.write(`udp-client: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
