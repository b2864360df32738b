// `bun bench/ws-syscalls.ts`: what one WebSocket echo costs each server, counted rather than timed, so the figures
// hold on a loaded machine (issue 15). The load is bench:ws's (bench/ws-compare.ts: N connections, P messages in
// flight each, every echo checked), the servers too (grocketd with one I/O thread, Bun.serve's `message` echo, the
// uWebSockets anchor when present), and with --only bare-ws the floor of a JS echo on Bun.listen
// (bench/servers/bare-ws-echo.ts). Each server is started fresh, warmed up with one run, then one `perf stat` is
// attached for exactly a second run: system calls by name, task-clock, context switches; user and system CPU come from
// /proc/PID/stat around the same span. Printed per echoed message: reads, writes, loop waits, other calls, all
// system calls, task-clock µs and its user / system split, and messages per read (how many frames one read carries).
// The client paces itself by echoes, so messages per read are set by both sides' speeds: compare servers within one
// invocation.
// Usage: bun bench/ws-syscalls.ts [--connections 64] [--inflight 1,16] [--messages 2000] [--size 32]
//        [--only grocketd,bun-ws,uws-ws,bare-ws] [--grocketd-dir DIR] [--rounds 1] [--record DIR]
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type ChildServer, startServer } from "./lib/child-server.ts";
import { parseArgs } from "./lib/cli-args.ts";
import { checkoutDir } from "./lib/grocketd-dir.ts";
import { attachPerfStat, readPerfStat, requirePerf, syscallEvents } from "./lib/perf-stat.ts";
import { cpuSecondsBetween, readCpuTicks } from "./lib/proc-stat.ts";

const USAGE = "usage: bun bench/ws-syscalls.ts [--connections 64] [--inflight 1,16] [--messages 2000] [--size 32] [--only grocketd,bun-ws,uws-ws,bare-ws] [--grocketd-dir DIR] [--rounds 1] [--record DIR]";
const a = parseArgs(
  process.argv.slice(2),
  { connections: "number", inflight: "string", messages: "number", size: "number", only: "string", "grocketd-dir": "string", rounds: "number", record: "string" },
  USAGE,
);
requirePerf();
const root = resolve(import.meta.dir, "..");
const dir = checkoutDir(a["grocketd-dir"], root, "--grocketd-dir");
const CONNS = a.connections ?? 64;
const MSGS = a.messages ?? 2000;
const SIZE = Math.max(16, a.size ?? 32);
const MODES = (a.inflight ?? "1,16").split(",").map(Number);
const ROUNDS = Math.max(1, a.rounds ?? 1);
const uws = [resolve(root, "../shared/anchors/uws-ws-echo"), resolve(root, "../../shared/anchors/uws-ws-echo"), "/work/shared/anchors/uws-ws-echo"].find((p) => existsSync(p));
const tmp = mkdtempSync(join(tmpdir(), "grocketd-ws-syscalls-"));

const READS = ["read", "recvfrom", "readv", "recvmsg"];
const WRITES = ["write", "sendto", "writev", "sendmsg"];
const WAITS = ["epoll_wait", "epoll_pwait", "epoll_pwait2"];
const OTHER = ["epoll_ctl", "futex", "timerfd_settime", "clock_gettime", "madvise", "mmap", "munmap", "mprotect", "getrusage", "eventfd2"];
const CALLS = [...new Set([...READS, ...WRITES, ...WAITS, ...OTHER])];
const EVENTS = syscallEvents(CALLS, ["context-switches"]);

/** Message k of connection c, as bench:ws makes it. */
function message(c: number, k: number): string {
  const head = `m${c}:${k}:`;
  return head + "x".repeat(Math.max(0, SIZE - head.length));
}

interface Conn {
  ws: WebSocket;
  sent: number;
  got: number;
  target: number;
  c: number;
}

/** Opens the connections once; each run sends `MSGS` more per connection, `inflight` at a time, and waits for all echoes. */
async function open(server: ChildServer): Promise<{ conns: Conn[]; run(inflight: number): Promise<void> }> {
  let done = 0;
  let finished = Promise.withResolvers<void>();
  let failure: string | null = null;
  const conns = await Promise.all(
    Array.from({ length: CONNS }, (_, c) =>
      new Promise<Conn>((res, rej) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
        const st: Conn = { ws, sent: 0, got: 0, target: 0, c };
        ws.onopen = () => res(st);
        ws.onerror = () => rej(new Error(`${server.name}: a WebSocket did not open`));
        ws.onmessage = (ev) => {
          if (ev.data !== message(c, st.got) && failure === null) failure = `connection ${c} message ${st.got}`;
          st.got++;
          if (st.sent < st.target) ws.send(message(c, st.sent++));
          if (st.got === st.target && ++done === CONNS) finished.resolve();
        };
      }),
    ),
  );
  return {
    conns,
    async run(inflight) {
      done = 0;
      finished = Promise.withResolvers<void>();
      for (const st of conns) {
        st.target += MSGS;
        const upTo = Math.min(st.got + inflight, st.target);
        while (st.sent < upTo) st.ws.send(message(st.c, st.sent++));
      }
      const t = setTimeout(() => finished.reject(new Error(`${server.name}: ${done} of ${CONNS} connections finished after 120 s`)), 120_000);
      await finished.promise;
      clearTimeout(t);
      if (failure !== null) throw new Error(`${server.name}: wrong echo: ${failure}`);
    },
  };
}

function start(name: string): Promise<ChildServer> {
  // --record: JSC writes a jitdump there (useJITDump), which `perf inject --jit` turns into names for the JIT's code.
  const env = a.record === undefined ? process.env : { ...process.env, BUN_JSC_useJITDump: "1", BUN_JSC_jitDumpDirectory: a.record };
  if (name === "bun-ws") return startServer(name, [process.execPath, resolve(root, "bench/servers/bun-ws-echo.ts")], { cwd: root, env });
  if (name === "bare-ws") return startServer(name, [process.execPath, resolve(root, "bench/servers/bare-ws-echo.ts")], { cwd: root, env });
  if (name === "uws-ws") {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    return startServer(name, [uws!, String(port)], { cwd: root });
  }
  const cmd = [process.execPath, "src/grocketd.ts", "--module", resolve(root, "bench/modules/ws-echo.ts"), "--listen", "ws://127.0.0.1:0/", "--threads", "1"];
  return startServer(name, cmd, { cwd: dir, env });
}

interface Counted {
  counts: Map<string, number>;
  user: number;
  system: number;
  messages: number;
}

/** A sampled profile (perf record -g) of process `pid` into `out` until stop(). */
function attachPerfRecord(pid: number, out: string): { stop(): Promise<void> } {
  const rec = Bun.spawn(["perf", "record", "-k", "mono", "-g", "-F", "2000", "-o", out, "-p", String(pid)], { stdout: "ignore", stderr: "ignore" });
  return {
    async stop() {
      rec.kill("SIGINT");
      await rec.exited;
    },
  };
}

async function counted(name: string, inflight: number): Promise<Counted> {
  const server = await start(name);
  try {
    const load = await open(server);
    await load.run(inflight); // warm-up: JIT, buffers
    await load.run(inflight);
    const file = join(tmp, `${name}-${inflight}.csv`);
    // --record DIR: a sampled profile of the same span instead (perf record -g; then perf inject --jit -i F -o F.jit).
    const perf = a.record === undefined ? attachPerfStat(server.pid, file, EVENTS) : attachPerfRecord(server.pid, join(a.record, `${name}-${inflight}.data`));
    await Bun.sleep(300); // attached
    const t0 = await readCpuTicks(server.pid);
    await load.run(inflight);
    const cpu = cpuSecondsBetween(t0, await readCpuTicks(server.pid));
    await perf.stop();
    const counts = a.record === undefined ? readPerfStat(file) : new Map<string, number>();
    for (const st of load.conns) st.ws.close();
    return { counts, user: cpu.user, system: cpu.system, messages: CONNS * MSGS };
  } finally {
    await server.stop();
  }
}

const names = (a.only ?? "grocketd,bun-ws,uws-ws").split(",").filter((n) => n !== "uws-ws" || uws !== undefined);
if (uws === undefined) console.log("uws-ws: skipped, ../shared/anchors/uws-ws-echo is not present");
const results = new Map<string, Counted>();
try {
  for (let r = 1; r <= ROUNDS; r++) {
    for (const inflight of MODES) {
      for (const name of r % 2 === 1 ? names : [...names].reverse()) {
        const key = `${inflight}\t${name}${ROUNDS === 1 ? "" : ` #${r}`}`;
        results.set(key, await counted(name, inflight));
        process.stderr.write(`${key.replace("\t", " in flight, ")}: counted\n`);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const sum = (c: Map<string, number>, ns: string[]) => ns.reduce((x, n) => x + (c.get(n) ?? 0), 0);
const per = (c: Counted, x: number, d = 3) => (x / c.messages).toFixed(d);
const rows: Array<[string, (c: Counted) => string]> = [
  ["reads per message", (c) => per(c, sum(c.counts, READS))],
  ["messages per read", (c) => (c.messages / Math.max(1, sum(c.counts, READS))).toFixed(2)],
  ["writes per message", (c) => per(c, sum(c.counts, WRITES))],
  ["loop waits per message", (c) => per(c, sum(c.counts, WAITS))],
  ["epoll_ctl per message", (c) => per(c, c.counts.get("epoll_ctl") ?? 0)],
  ["futex per message", (c) => per(c, c.counts.get("futex") ?? 0)],
  ["timerfd_settime per message", (c) => per(c, c.counts.get("timerfd_settime") ?? 0)],
  ["mm calls per message", (c) => per(c, sum(c.counts, ["madvise", "mmap", "munmap", "mprotect"]), 4)],
  ["syscalls per message", (c) => per(c, c.counts.get("syscalls") ?? 0)],
  ["ctx switches per message", (c) => per(c, c.counts.get("context-switches") ?? 0)],
  ["task-clock µs per message", (c) => (((c.counts.get("task-clock") ?? 0) * 1e3) / c.messages).toFixed(3)],
  ["user µs per message", (c) => ((c.user * 1e6) / c.messages).toFixed(3)],
  ["system µs per message", (c) => ((c.system * 1e6) / c.messages).toFixed(3)],
];
console.log(`bench/ws-syscalls  ${CONNS} connections, ${MSGS} messages of ${SIZE} bytes each per counted run; counted over one run after a warm-up`);
for (const inflight of MODES) {
  const keys = [...results.keys()].filter((k) => k.startsWith(`${inflight}\t`));
  console.log(`\n${inflight} in flight${"".padEnd(20)}${keys.map((k) => k.split("\t")[1]!.padStart(14)).join("")}`);
  for (const [label, f] of rows) console.log(`${label.padEnd(30)}${keys.map((k) => f(results.get(k)!).padStart(14)).join("")}`);
}
process.exit(0);
