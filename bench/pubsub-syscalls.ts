// `bun bench/pubsub-syscalls.ts`: what one topic delivery costs in system calls, counted rather than timed, so the
// figures hold on a loaded machine (issue 14). Each server is started fresh (as bench:pubsub starts it, same names),
// its N subscribers connect, and one `perf stat` per process of the server's tree is attached for exactly the
// publishing of the run (bench/lib/pubsub-clients.ts, FanoutLoad.around), counting the syscall tracepoints and
// task-clock; user and system CPU come from /proc/PID/stat around the same span. Printed per delivery: writes (write,
// sendto, writev, sendmsg), bytes per write (from the frame size: 34 bytes a WebSocket delivery, 32 a TCP one), reads
// and event-loop waits (epoll_wait/pwait/pwait2 calls) per publish, all syscalls, and the CPU split; for a
// server.processes run (-2p) also each process's own share (the master relays, each child delivers to its own
// subscribers). A warm-up run on the same server precedes the counted one (JIT, buffers).
// The client is paced by deliveries (a window of messages in flight), so how many publishes one server turn sees is
// set by the client's and server's speeds: compare servers within one invocation, not across machines.
// --batch K paces every server alike instead (K publishes per write, the next once all are delivered; see
// bench/pubsub-fanout.ts): reads per publish then shows whether each server read the K publishes in one go.
// Usage: bun bench/pubsub-syscalls.ts [--subscribers 1000] [--messages 300] [--window 16 | --batch K] [--rounds 1]
//        [--only grocketd-1t,grocketd-2t,grocketd-2p,grocketd-ws-1t,grocketd-ws-2t,grocketd-ws-2p,bun-ws] (default grocketd-ws-1t,bun-ws)
//        [--grocketd-dir DIR] [--baseline DIR: every grocketd row also from DIR, named <row>-base, in the same rounds]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type ChildServer, startServer } from "./lib/child-server.ts";
import { parseArgs } from "./lib/cli-args.ts";
import { checkoutDir } from "./lib/grocketd-dir.ts";
import { attachPerfStat, readPerfStat, requirePerf, syscallEvents } from "./lib/perf-stat.ts";
import { cpuSecondsBetween, readTreeCpuTicks, treePids, type CpuTicks } from "./lib/proc-stat.ts";
import { type FanoutLoad, type FanoutRun, fanoutAnchorWs, fanoutGrocketdTcp, fanoutGrocketdWs } from "./lib/pubsub-clients.ts";
import { formatSpread, spread } from "./lib/stats.ts";

const ALL = ["grocketd-1t", "grocketd-2t", "grocketd-2p", "grocketd-ws-1t", "grocketd-ws-2t", "grocketd-ws-2p", "bun-ws"];
const USAGE = `usage: bun bench/pubsub-syscalls.ts [--subscribers 1000] [--messages 300] [--window 16 | --batch K] [--only ${ALL.join(",")}] [--rounds 1] [--grocketd-dir DIR] [--baseline DIR]`;
const a = parseArgs(process.argv.slice(2), { subscribers: "number", messages: "number", window: "number", batch: "number", only: "string", rounds: "number", "grocketd-dir": "string", baseline: "string" }, USAGE);
requirePerf();
const root = resolve(import.meta.dir, "..");
const dir = checkoutDir(a["grocketd-dir"], root, "--grocketd-dir");
const baseDir = a.baseline === undefined ? undefined : checkoutDir(a.baseline, root, "--baseline");
const picked = (a.only ?? "grocketd-ws-1t,bun-ws").split(",");
for (const w of picked) if (!ALL.includes(w)) throw new Error(`--only: unknown server ${w} (${ALL.join(",")})`);
/** The servers of each round: a grocketd row from --baseline too, as `<row>-base`. */
const only = picked.flatMap((w) => (baseDir !== undefined && w.startsWith("grocketd") ? [w, `${w}-base`] : [w]));
const BASE_SUFFIX = "-base";
const tmp = mkdtempSync(join(tmpdir(), "grocketd-pubsub-syscalls-"));
/** Bytes on the wire per delivery: a 32-byte message, behind a 2-byte header on WebSocket. */
const frameOf = (name: string) => (name.includes("ws") ? 34 : 32);

const CALLS = ["write", "sendto", "writev", "sendmsg", "read", "recvfrom", "readv", "recvmsg", "epoll_wait", "epoll_pwait", "epoll_pwait2"];
const EVENTS = syscallEvents(CALLS);

interface Counted {
  name: string;
  run: FanoutRun;
  /** The whole tree's counts, and each process's (pid → counts), parents first. */
  counts: Map<string, number>;
  perProcess: Array<[number, Map<string, number>]>;
  user: number;
  system: number;
}

function start(row: string): Promise<ChildServer> {
  const base = row.endsWith(BASE_SUFFIX);
  const name = base ? row.slice(0, -BASE_SUFFIX.length) : row;
  if (name === "bun-ws") return startServer(name, [process.execPath, resolve(root, "bench/servers/bun-ws-pubsub.ts")], { cwd: root });
  const threads = name.endsWith("2t") ? "2" : "1";
  const listen = name.includes("ws") ? "ws://127.0.0.1:0/" : "tcp://127.0.0.1:0";
  const cmd = [process.execPath, "src/grocketd.ts", "--module", resolve(root, "bench/modules/fanout.ts"), "--listen", listen, "--threads", threads];
  return startServer(row, cmd, { cwd: base ? baseDir! : dir, env: { ...process.env, GROCKETD_SERVER_PROCESSES: name.endsWith("2p") ? "2" : "1" } });
}

async function counted(name: string, base: FanoutLoad): Promise<Counted> {
  let perfs: Array<{ pid: number; file: string; perf: { stop(): Promise<void> } }> = [];
  let t0: CpuTicks | null = null;
  let cpu = { user: 0, system: 0 };
  const load: FanoutLoad = {
    ...base,
    around: {
      async before(s) {
        perfs = (await treePids(s.pid)).map((pid) => {
          const file = join(tmp, `${name}-${pid}.csv`);
          return { pid, file, perf: attachPerfStat(pid, file, EVENTS) };
        });
        await Bun.sleep(300); // attached
        t0 = await readTreeCpuTicks(s.pid);
      },
      async after(s) {
        cpu = cpuSecondsBetween(t0!, await readTreeCpuTicks(s.pid));
        await Promise.all(perfs.map((p) => p.perf.stop()));
      },
    },
  };
  const server = await start(name);
  try {
    const run = (s: ChildServer, l: FanoutLoad) =>
      name === "bun-ws" ? fanoutAnchorWs(s, l, "m") : name.includes("ws") ? fanoutGrocketdWs(s, l) : fanoutGrocketdTcp(s, l);
    await run(server, base); // warm-up
    await Bun.sleep(200);
    const r = await run(server, load);
    const counts = new Map<string, number>();
    const perProcess: Array<[number, Map<string, number>]> = [];
    for (const p of perfs) {
      const own = readPerfStat(p.file);
      for (const [ev, v] of own) counts.set(ev, (counts.get(ev) ?? 0) + v);
      perProcess.push([p.pid, own]);
    }
    return { name, run: r, counts, perProcess, ...cpu };
  } finally {
    await server.stop();
  }
}

const load: FanoutLoad = { subscribers: a.subscribers ?? 1000, messages: a.messages ?? 300, size: 32, window: a.window ?? 16, ...(a.batch !== undefined ? { batch: Math.max(1, a.batch) } : {}), timeoutMs: 120_000 };
const rounds = Math.max(1, a.rounds ?? 1);
const results = new Map<string, Counted>();
try {
  // Order alternating between rounds; one column per server and round.
  for (let r = 1; r <= rounds; r++) {
    for (const name of r % 2 === 1 ? only : [...only].reverse()) {
      results.set(rounds === 1 ? name : `${name} #${r}`, await counted(name, load));
      process.stderr.write(`${name}: ${load.subscribers} subscribers × ${load.messages} messages counted\n`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const sum = (c: Map<string, number>, names: string[]) => names.reduce((x, n) => x + (c.get(n) ?? 0), 0);
const WRITES = ["write", "sendto", "writev", "sendmsg"];
const READS = ["read", "recvfrom", "readv", "recvmsg"];
const WAITS = ["epoll_wait", "epoll_pwait", "epoll_pwait2"];
const rows: Array<[string, (c: Counted) => string]> = [
  ["writes per delivery", (c) => (sum(c.counts, WRITES) / c.run.deliveries).toFixed(4)],
  ["bytes per write (frames)", (c) => ((c.run.deliveries * frameOf(c.name)) / Math.max(1, sum(c.counts, WRITES))).toFixed(0)],
  ["deliveries per write", (c) => (c.run.deliveries / Math.max(1, sum(c.counts, WRITES))).toFixed(2)],
  ["reads per publish", (c) => (sum(c.counts, READS) / load.messages).toFixed(2)],
  ["loop waits per publish", (c) => (sum(c.counts, WAITS) / load.messages).toFixed(3)],
  ["syscalls per delivery", (c) => ((c.counts.get("syscalls") ?? 0) / c.run.deliveries).toFixed(4)],
  ["task-clock µs per delivery", (c) => (((c.counts.get("task-clock") ?? 0) * 1e3) / c.run.deliveries).toFixed(3)],
  ["user / system CPU (ticks)", (c) => `${(c.user * 100).toFixed(0)} / ${(c.system * 100).toFixed(0)}`],
  ["system share of CPU", (c) => `${((c.system / Math.max(1e-9, c.user + c.system)) * 100).toFixed(0)}%`],
];
const names = [...results.keys()].sort();
console.log(`bench/pubsub-syscalls  ${load.subscribers} subscribers, ${load.messages} messages of 32 bytes, ${load.batch ? `paced, ${load.batch} publishes per write` : `window ${load.window}`}; counted over the publishing only`);
/** Column width: the longest name (a -base row's) plus a space. */
const W = Math.max(19, ...names.map((n) => n.length + 1));
console.log(`${"".padEnd(28)}${names.map((n) => n.padStart(W)).join("")}`);
for (const [label, f] of rows) console.log(`${label.padEnd(28)}${names.map((n) => f(results.get(n)!).padStart(W)).join("")}`);
// Over the rounds, per server: medians (min–max) of the CPU per delivery, all of it (task-clock) and split.
if (rounds > 1) {
  const us = (x: number, d: number) => (x * 1e6) / d;
  const fmt = (v: number[]) => formatSpread(spread(v), 3);
  for (const w of only) {
    const cs = names.filter((n) => n.startsWith(`${w} #`)).map((n) => results.get(n)!);
    console.log(
      `${w}: µs CPU per delivery, median (min–max) of ${cs.length}: task-clock ${fmt(cs.map((c) => us((c.counts.get("task-clock") ?? 0) / 1e3, c.run.deliveries)))}, ` +
        `user ${fmt(cs.map((c) => us(c.user, c.run.deliveries)))}, system ${fmt(cs.map((c) => us(c.system, c.run.deliveries)))}`,
    );
  }
}
for (const n of names) {
  const c = results.get(n)!;
  console.log(`${n}: ${[...c.counts].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  if (c.perProcess.length < 2) continue;
  // Each process's share: the master relays between the children; a child's deliveries are its subscribers' share.
  for (const [pid, own] of c.perProcess) {
    let subs = 0;
    for (const [t, k] of c.run.perThread ?? []) if (t.endsWith(`:${pid}`)) subs += k;
    const d = subs * load.messages;
    const pub = c.run.publisher?.endsWith(`:${pid}`) ? ", the publisher's" : "";
    const per = (x: number) => (d > 0 ? (x / d).toFixed(4) : "-");
    console.log(
      `  pid ${pid} (${subs} subscribers${pub}): ${d} deliveries; per own delivery: writes ${per(sum(own, WRITES))}, ` +
        `task-clock ${d > 0 ? (((own.get("task-clock") ?? 0) * 1e3) / d).toFixed(3) : "-"} µs; per publish: writes ${(sum(own, WRITES) / load.messages).toFixed(1)}, ` +
        `reads ${(sum(own, READS) / load.messages).toFixed(2)}, loop waits ${(sum(own, WAITS) / load.messages).toFixed(2)}, ` +
        `syscalls ${((own.get("syscalls") ?? 0) / load.messages).toFixed(1)}, task-clock ${(((own.get("task-clock") ?? 0) * 1e3) / load.messages).toFixed(1)} µs`,
    );
  }
}
process.exit(0);
