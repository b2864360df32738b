// `bun run bench:idle`: what an idle connection costs in server memory. For each server, fresh: RSS (VmRSS of its
// process) after it listens and idles, then N connections on loopback (default 10,000; opened 256 at a time), each
// used once — HTTP: one GET answered, then the connection idles (keep-alive); TCP: one 44-byte packet echoed — then
// RSS again once it has settled (also once half of them are open); reported per connection, over all N and over the
// second half alone: the first burst also pays what a process pays once (the optimizing JIT's compiles and the text
// pages they fault in; docs/platform-notes.md), which the second half's growth leaves out. Servers: grocketd HTTP
// (modules/hello.ts) and grocketd TCP (modules/echo.ts), both on ONE I/O thread, and a bare Bun.listen echo
// (bench/bare-echo-server.ts) as reference.
// Goals (issue 17): idle HTTP ≤ 1.5 KiB, idle TCP ≤ 1.0 KiB per connection. RSS moves with the allocator and GC: run it
// 2–3 times and take the median. Each server is started with `ulimit -n` raised to the hard limit; this process
// needs N + 256 descriptors itself and says so when its limit is lower. Exit 0 when every connection was served.

import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import type { Socket } from "bun";
import { type ChildServer, startServer } from "./lib/child-server.ts";
import { parseArgs } from "./lib/cli-args.ts";

const USAGE = `usage: bun bench/idle-memory.ts [--connections 10000] [--only http,tcp,bare] [--settle 3] [--warm] [--json]
  --connections N  idle connections per server
  --only LIST      servers: http (grocketd HTTP), tcp (grocketd TCP), bare (Bun.listen echo)
  --settle S       seconds to wait before each RSS reading (3: the thread's idle collection, io.idle_gc_after, comes
                   up to two housekeeping ticks of 1 s after the last read)
  --warm           before the first reading, open as many connections, serve them once and close them: what a
                   process pays once (bun's text pages faulted in, JIT code, pools grown; bench/platform/idle-rss-split.ts
                   splits it) is then not counted per connection
  --json           one JSON document on stdout, the report on stderr`;

const a = parseArgs(process.argv.slice(2), { connections: "number", only: "string", settle: "number", warm: "boolean", json: "boolean" }, USAGE);
const log = (s: string) => process.stderr.write(`${s}\n`);
const repo = resolve(import.meta.dir, "..");
const n = a.connections ?? 10_000;
const settleMs = (a.settle ?? 3) * 1000;
const BATCH = 256;
const GOALS: Record<string, number> = { http: 1.5, tcp: 1.0 };

function openFileLimit(): { soft: number; hard: number } {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
  const [soft, hard] = line.replace("Max open files", "").trim().split(/\s+/);
  const num = (s: string | undefined) => (s === "unlimited" ? Infinity : Number(s));
  return { soft: num(soft), hard: num(hard) };
}
const limit = openFileLimit();
if (limit.soft < n + 256) {
  log(`bench:idle: this process may open ${limit.soft} files, ${n} connections need ${n + 256}: run \`ulimit -n ${Math.min(limit.hard, n + 1024)}\` first (hard limit ${limit.hard}), or lower --connections`);
  process.exit(2);
}

interface Subject {
  name: "http" | "tcp" | "bare";
  describe: string;
  cmd: string[];
  /** Bytes sent on each connection, and how many bytes of answer make it served. */
  request: (port: number) => Buffer;
  served: (got: string) => boolean;
}

const bun = process.execPath;
const packet = Buffer.from("7".padStart(44, "0"), "latin1");
const httpAnswered = (got: string) => {
  const end = got.indexOf("\r\n\r\n");
  if (end < 0 || !got.startsWith("HTTP/1.1 200")) return false;
  const len = /content-length:\s*(\d+)/i.exec(got.slice(0, end));
  return len !== null && got.length >= end + 4 + Number(len[1]);
};
const all: Subject[] = [
  {
    name: "http",
    describe: "grocketd --threads 1 --listen http://127.0.0.1:0 --module modules/hello.ts (keep-alive, one GET answered)",
    cmd: [bun, "src/grocketd.ts", "--threads", "1", "--listen", "http://127.0.0.1:0", "--module", "modules/hello.ts"],
    request: (port) => Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, "latin1"),
    served: httpAnswered,
  },
  {
    name: "tcp",
    describe: "grocketd --threads 1 --listen tcp://127.0.0.1:0 --module modules/echo.ts (one 44-byte packet echoed)",
    cmd: [bun, "src/grocketd.ts", "--threads", "1", "--listen", "tcp://127.0.0.1:0", "--module", "modules/echo.ts"],
    request: () => packet,
    served: (got) => got.length >= 44,
  },
  {
    name: "bare",
    describe: "bun bench/bare-echo-server.ts (Bun.listen, no framing; one 44-byte packet echoed)",
    cmd: [bun, "bench/bare-echo-server.ts", "--host", "127.0.0.1", "--port", "0"],
    request: () => packet,
    served: (got) => got.length >= 44,
  },
];
const only = a.only ? a.only.split(",").map((s) => s.trim()) : all.map((s) => s.name);
for (const o of only) if (!all.some((s) => s.name === o)) {
  log(`--only: unknown server ${o} (use http,tcp,bare)`);
  process.exit(2);
}
const subjects = all.filter((s) => only.includes(s.name));

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** Opens `count` connections, `BATCH` at a time, each served once; resolves with the open sockets. */
async function openIdle(port: number, s: Subject, count: number): Promise<Socket<{ got: string }>[]> {
  const open: Socket<{ got: string }>[] = [];
  const req = s.request(port);
  const one = () =>
    new Promise<Socket<{ got: string }>>((res, rej) => {
      const timer = setTimeout(() => rej(new Error("no answer within 10 s")), 10_000);
      void Bun.connect<{ got: string }>({
        hostname: "127.0.0.1",
        port,
        data: { got: "" },
        socket: {
          open: (sock) => void sock.write(req),
          data: (sock, d) => {
            sock.data.got += d.toString("latin1");
            if (s.served(sock.data.got)) {
              clearTimeout(timer);
              res(sock);
            }
          },
          close: () => rej(new Error("closed by the server")),
          error: (_s, e) => rej(e),
          connectError: (_s, e) => rej(e),
        },
      }).catch(rej);
    });
  for (let done = 0; done < count; done += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, count - done) }, one));
    open.push(...batch);
  }
  return open;
}

interface Result {
  server: string;
  connections: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  perConnKiB: number;
  /** RSS once the first half of the connections was open: the second half's growth is what one more idle connection
   * costs when the process has already paid its one-time costs (JIT tiers, faulted-in text) on the first half. */
  rssMidKiB: number;
  marginalKiB: number;
}

async function measure(s: Subject): Promise<Result> {
  // ulimit -n: the server holds n sockets too; raised to the hard limit (what a soft limit may be raised to).
  const cmd = ["sh", "-c", `ulimit -n ${limit.hard === Infinity ? "unlimited" : limit.hard} && exec "$@"`, "sh", ...s.cmd];
  const server: ChildServer = await startServer(s.name, cmd, { cwd: repo });
  let socks: Socket<{ got: string }>[] = [];
  try {
    await Bun.sleep(settleMs);
    if (a.warm) {
      for (const x of await openIdle(server.port, s, n)) x.terminate();
      await Bun.sleep(settleMs + 1000); // the closes, then the thread's idle collection
    }
    const before = rssKiB(server.pid);
    const first = Math.floor(n / 2);
    socks = await openIdle(server.port, s, first);
    await Bun.sleep(settleMs);
    const mid = rssKiB(server.pid);
    socks.push(...(await openIdle(server.port, s, n - first)));
    await Bun.sleep(settleMs);
    const after = rssKiB(server.pid);
    return {
      server: s.name,
      connections: socks.length,
      rssBeforeKiB: before,
      rssAfterKiB: after,
      perConnKiB: (after - before) / socks.length,
      rssMidKiB: mid,
      marginalKiB: (after - mid) / (socks.length - first),
    };
  } finally {
    for (const x of socks) x.terminate();
    await server.stop(3000);
  }
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = loadavg();
log(`bench:idle on ${cpus().length} CPUs, Bun ${Bun.version}, ${n} connections per server, open files ${limit.soft}/${limit.hard}, load average before: ${loadBefore}`);
const results: Result[] = [];
try {
  for (const s of subjects) {
    log(`  ${s.name.padEnd(5)} ${s.describe}`);
    const r = await measure(s);
    results.push(r);
    log(`  ${s.name.padEnd(5)} RSS ${r.rssBeforeKiB} → ${r.rssMidKiB} → ${r.rssAfterKiB} KiB: ${r.perConnKiB.toFixed(2)} KiB per idle connection, ${r.marginalKiB.toFixed(2)} for the second half`);
  }
} catch (e) {
  log(`bench:idle: ${(e as Error).message}`);
  process.exit(1);
}
const lines = [
  `idle connections: RSS of the server process before, at half and after ${n} connections (each used once)${a.warm ? ", after a warm-up round of as many" : ""};`,
  "  all: (after − before) / N, one-time costs of the first burst included; 2nd half: (after − half) / (N/2), what one more idle connection costs",
];
const verdict = (v: number, goal: number) => (v <= goal ? "MET" : "NOT MET");
for (const r of results) {
  const goal = GOALS[r.server];
  lines.push(
    `  ${r.server.padEnd(5)} ${String(r.rssBeforeKiB).padStart(8)} → ${String(r.rssMidKiB).padStart(8)} → ${String(r.rssAfterKiB).padStart(8)} KiB  all ${r.perConnKiB.toFixed(2).padStart(5)}  2nd half ${r.marginalKiB.toFixed(2).padStart(5)} KiB/conn` +
      (goal === undefined ? "  (reference)" : `  goal ≤ ${goal.toFixed(1)}: all ${verdict(r.perConnKiB, goal)}, 2nd half ${verdict(r.marginalKiB, goal)}`),
  );
}
lines.push(`load average before: ${loadBefore}; after: ${loadavg()} (RSS is noisy: run 2–3 times, take the median)`);
if (a.json) {
  log(lines.join("\n"));
  process.stdout.write(`${JSON.stringify({ connections: n, loadBefore, results })}\n`);
} else process.stdout.write(`${lines.join("\n")}\n`);
