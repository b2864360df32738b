// `bun bench/pubsub-syscalls.ts`: what one topic delivery costs in system calls, counted rather than timed, so the
// figures hold on a loaded machine (issue 14). Each server is started fresh (as bench:pubsub starts it), its N
// WebSocket subscribers connect, and `perf stat` is attached to the server's process for exactly the publishing of
// the run (bench/lib/pubsub-clients.ts, FanoutLoad.around), counting the syscall tracepoints and task-clock; user
// and system CPU come from /proc/PID/stat around the same span. Printed per delivery: writes (write, sendto, writev,
// sendmsg), bytes per write (from the frame size: every delivery is one 34-byte frame for every server here),
// reads, event-loop waits (epoll_wait/pwait/pwait2 calls) per publish and per delivery, all syscalls, and the CPU
// split. A warm-up run on the same server precedes the counted one (JIT, buffers).
// The client is paced by deliveries (a window of messages in flight), so how many publishes one server turn sees is
// set by the client's and server's speeds: compare servers within one invocation, not across machines.
// Usage: bun bench/pubsub-syscalls.ts [--subscribers 1000] [--messages 300] [--window 16] [--only grocketd-ws-1t,bun-ws] [--rounds 1]
//        [--grocketd-dir DIR]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type ChildServer, startServer } from "./lib/child-server.ts";
import { parseArgs } from "./lib/cli-args.ts";
import { checkoutDir } from "./lib/grocketd-dir.ts";
import { cpuSecondsBetween, readTreeCpuTicks, type CpuTicks } from "./lib/proc-stat.ts";
import { type FanoutLoad, type FanoutRun, fanoutAnchorWs, fanoutGrocketdWs } from "./lib/pubsub-clients.ts";

const ALL = ["grocketd-ws-1t", "grocketd-ws-2t", "bun-ws"];
const USAGE = `usage: bun bench/pubsub-syscalls.ts [--subscribers 1000] [--messages 300] [--window 16] [--only ${ALL.join(",")}] [--rounds 1] [--grocketd-dir DIR]`;
const a = parseArgs(process.argv.slice(2), { subscribers: "number", messages: "number", window: "number", only: "string", rounds: "number", "grocketd-dir": "string" }, USAGE);
if (!Bun.which("perf")) throw new Error("perf not found (apt-get install linux-perf)");
const root = resolve(import.meta.dir, "..");
const dir = checkoutDir(a["grocketd-dir"], root, "--grocketd-dir");
const only = (a.only ?? "grocketd-ws-1t,bun-ws").split(",");
for (const w of only) if (!ALL.includes(w)) throw new Error(`--only: unknown server ${w} (${ALL.join(",")})`);
const tmp = mkdtempSync(join(tmpdir(), "grocketd-pubsub-syscalls-"));
/** Every server's frames here: a 32-byte message behind a 2-byte header. */
const FRAME = 34;

const CALLS = ["write", "sendto", "writev", "sendmsg", "read", "recvfrom", "readv", "recvmsg", "epoll_wait", "epoll_pwait", "epoll_pwait2"];
const EVENTS = ["task-clock", "raw_syscalls:sys_enter", ...CALLS.map((c) => `syscalls:sys_enter_${c}`)];

interface Counted {
  run: FanoutRun;
  counts: Map<string, number>;
  user: number;
  system: number;
}

function start(name: string): Promise<ChildServer> {
  if (name === "bun-ws") return startServer(name, [process.execPath, resolve(root, "bench/servers/bun-ws-pubsub.ts")], { cwd: root });
  const threads = name.endsWith("2t") ? "2" : "1";
  const cmd = [process.execPath, "src/grocketd.ts", "--module", resolve(root, "bench/modules/fanout.ts"), "--listen", "ws://127.0.0.1:0/", "--threads", threads];
  return startServer(name, cmd, { cwd: dir, env: { ...process.env, GROCKETD_SERVER_PROCESSES: "1" } });
}

async function counted(name: string, base: FanoutLoad): Promise<Counted> {
  const file = join(tmp, `${name}.csv`);
  let perf: ReturnType<typeof Bun.spawn> | null = null;
  let t0: CpuTicks | null = null;
  let cpu = { user: 0, system: 0 };
  const load: FanoutLoad = {
    ...base,
    around: {
      async before(s) {
        perf = Bun.spawn(["perf", "stat", "-x,", "-o", file, "-e", EVENTS.join(","), "-p", String(s.pid)], { stdout: "ignore", stderr: "ignore" });
        await Bun.sleep(300); // attached
        t0 = await readTreeCpuTicks(s.pid);
      },
      async after(s) {
        cpu = cpuSecondsBetween(t0!, await readTreeCpuTicks(s.pid));
        perf!.kill("SIGINT");
        await perf!.exited;
      },
    },
  };
  const server = await start(name);
  try {
    const run = (s: ChildServer, l: FanoutLoad) => (name === "bun-ws" ? fanoutAnchorWs(s, l, "m") : fanoutGrocketdWs(s, l));
    await run(server, base); // warm-up
    await Bun.sleep(200);
    const r = await run(server, load);
    const counts = new Map<string, number>();
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const f = line.split(",");
      if (f.length < 3 || f[0] === "" || line.startsWith("#")) continue;
      const ev = f[2]!.replace(/^syscalls:sys_enter_/, "").replace(/^raw_syscalls:sys_enter$/, "syscalls");
      counts.set(ev, Number(f[0]));
    }
    return { run: r, counts, ...cpu };
  } finally {
    await server.stop();
  }
}

const load: FanoutLoad = { subscribers: a.subscribers ?? 1000, messages: a.messages ?? 300, size: 32, window: a.window ?? 16, timeoutMs: 120_000 };
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
const rows: Array<[string, (c: Counted) => string]> = [
  ["writes per delivery", (c) => (sum(c.counts, ["write", "sendto", "writev", "sendmsg"]) / c.run.deliveries).toFixed(4)],
  ["bytes per write (frames)", (c) => ((c.run.deliveries * FRAME) / Math.max(1, sum(c.counts, ["write", "sendto", "writev", "sendmsg"]))).toFixed(0)],
  ["deliveries per write", (c) => (c.run.deliveries / Math.max(1, sum(c.counts, ["write", "sendto", "writev", "sendmsg"]))).toFixed(2)],
  ["reads per publish", (c) => (sum(c.counts, ["read", "recvfrom", "readv", "recvmsg"]) / load.messages).toFixed(2)],
  ["loop waits per publish", (c) => (sum(c.counts, ["epoll_wait", "epoll_pwait", "epoll_pwait2"]) / load.messages).toFixed(3)],
  ["syscalls per delivery", (c) => ((c.counts.get("syscalls") ?? 0) / c.run.deliveries).toFixed(4)],
  ["task-clock µs per delivery", (c) => (((c.counts.get("task-clock") ?? 0) * 1e3) / c.run.deliveries).toFixed(3)],
  ["user / system CPU (ticks)", (c) => `${(c.user * 100).toFixed(0)} / ${(c.system * 100).toFixed(0)}`],
  ["system share of CPU", (c) => `${((c.system / Math.max(1e-9, c.user + c.system)) * 100).toFixed(0)}%`],
];
const names = [...results.keys()].sort();
console.log(`bench/pubsub-syscalls  ${load.subscribers} subscribers, ${load.messages} messages of 32 bytes, window ${load.window}; counted over the publishing only`);
console.log(`${"".padEnd(28)}${names.map((n) => n.padStart(19)).join("")}`);
for (const [label, f] of rows) console.log(`${label.padEnd(28)}${names.map((n) => f(results.get(n)!).padStart(19)).join("")}`);
for (const n of names) {
  const c = results.get(n)!;
  console.log(`${n}: ${[...c.counts].map(([k, v]) => `${k} ${v}`).join(", ")}`);
}
process.exit(0);
