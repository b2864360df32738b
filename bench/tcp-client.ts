// `bun run bench:tcp`: the original grocket test_tcp_client re-made. N connections of 44-byte kiss packets in strict
// ping-pong (or P in flight), every echo compared byte for byte; live progress on stderr, a summary at the end.
// Exit code 1 on any mismatch, connection error, early close or reply timeout.

import { runKissClient } from "./lib/kiss-client.ts";
import { parseArgs } from "./lib/cli-args.ts";
import { formatKissSummary } from "./lib/kiss-report.ts";

const USAGE = `usage: bun bench/tcp-client.ts [--host 127.0.0.1] [--port 8000] [--connections 64] [--pipeline 1]
       [--duration 5] [--requests N] [--threads 1] [--workers] [--timeout 5] [--no-progress] [--json]
  --duration S    seconds of load (default 5; with only --requests given, runs until they are done)
  --requests N    total requests, split evenly over the connections
  --threads T     client threads (Workers when T > 1; --workers forces a Worker for T = 1)
  --timeout S     fail a connection that waits this long for a reply
  --json          print a JSON summary as the last line of stdout (the text report goes to stderr)`;

const a = parseArgs(
  process.argv.slice(2),
  {
    host: "string",
    port: "number",
    connections: "number",
    pipeline: "number",
    duration: "number",
    requests: "number",
    threads: "number",
    workers: "boolean",
    timeout: "number",
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
  const summary = await runKissClient({
    host: a.host ?? "127.0.0.1",
    port: a.port ?? 8000,
    connections: a.connections ?? 64,
    pipeline: a.pipeline ?? 1,
    durationSec: a.duration ?? (a.requests ? 0 : 5),
    requests: a.requests ?? 0,
    threads: a.threads ?? 1,
    forceWorkers: a.workers ?? false,
    timeoutSec: a.timeout ?? 5,
    progress: !a["no-progress"],
    signal: abort.signal,
  });
  const text = formatKissSummary(summary);
  if (a.json) {
    process.stderr.write(`${text}\n`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    process.stdout.write(`${text}\n`);
  }
  process.exitCode = summary.ok ? 0 : 1;
} catch (e) {
  process.stderr.write(`tcp-client: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
