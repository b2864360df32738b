// `bun run bench:pubsub`: topic fan-out. One publisher, N subscribers (default 1000), small messages; every delivery
// is verified (each subscriber must get every message once, in publish order). Servers, in one run:
//   grocketd-1t   modules: bench/modules/fanout.ts over TCP, one I/O thread (every delivery local)
//   grocketd-2t   the same with two I/O threads (subscribers spread by the kernel: about half the deliveries cross
//                 the ring mesh between the threads)
//   grocketd-2p   two child processes of one I/O thread each (server.processes = 2): about half the deliveries are
//                 relayed by the master over IPC (CPU counted over the master and its children)
//   bun-ws        Bun.serve WebSocket, ws.publish, one thread (bench/servers/bun-ws-pubsub.ts)
//   uws-ws        ../shared/anchors/uws-ws-echo when present (app.publish: the publisher gets its own copy too)
// grocketd has no WebSocket yet, so its TCP fan-out is compared with their WebSocket fan-out (framing differs: a
// WebSocket frame header of 2 bytes per message). Reported: deliveries per second and per server-CPU-second, and
// from the 1t and 2t runs the CPU cost of a local delivery and of one to another thread (2t: cost = mean of both).
// The client runs in this process on the same machine: on a shared 2-core box the wall-clock rate is the client's as
// much as the server's, which is why the per-CPU-second figures are the ones to compare.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "./lib/cli-args.ts";
import { startServer, type ChildServer } from "./lib/child-server.ts";
import { clockTicksPerSecond, cpuSecondsBetween, readCpuTicks, readTreeCpuTicks } from "./lib/proc-stat.ts";

const USAGE = "usage: bun bench/pubsub-fanout.ts [--subscribers 1000] [--messages 2000] [--size 32] [--window 16] [--only grocketd-1t,grocketd-2t,grocketd-2p,bun-ws,uws-ws]";
const a = parseArgs(process.argv.slice(2), { subscribers: "number", messages: "number", size: "number", window: "number", only: "string" }, USAGE);
const SUBS = a.subscribers ?? 1000;
const MSGS = a.messages ?? 2000;
const SIZE = Math.max(16, a.size ?? 32);
const WINDOW = a.window ?? 16;
const root = resolve(import.meta.dir, "..");
const uws = [resolve(root, "../shared/anchors/uws-ws-echo"), resolve(root, "../../shared/anchors/uws-ws-echo")].find((p) => existsSync(p));

interface Result {
  name: string;
  deliveries: number;
  seconds: number;
  cpuSeconds: number;
  threads?: string;
  /** grocketd: the share of subscribers on another I/O thread than the publisher's. */
  remoteShare?: number;
}

/** What every subscriber checks: message k carries seq k at `at`, each exactly once, in order. */
class Check {
  next = 0;
  problem: string | null = null;
  constructor(private readonly at: number) {}
  seen(seq: number): void {
    if (seq !== this.next && this.problem === null) this.problem = `expected message ${this.next}, got ${seq}`;
    this.next = seq + 1;
  }
  seqOf(s: string): number {
    return Number(s.slice(this.at, this.at + 9));
  }
}

function message(prefix: string, seq: number, newline: boolean): string {
  const head = prefix + String(seq).padStart(9, "0");
  return head + "x".repeat(SIZE - head.length - (newline ? 1 : 0)) + (newline ? "\n" : "");
}

/** Publishes MSGS messages with at most WINDOW outstanding per subscriber; resolves when all are delivered. */
async function drive(checks: Check[], send: (seq: number) => void, delivered: () => number, pid: number, name: string, tree = false): Promise<Result> {
  const total = MSGS * checks.length;
  const cpuOf = tree ? readTreeCpuTicks : readCpuTicks;
  const t0 = await cpuOf(pid);
  const start = performance.now();
  const deadline = start + 120_000;
  let sent = 0;
  while (delivered() < total) {
    while (sent < MSGS && sent * checks.length - delivered() < WINDOW * checks.length) send(sent++);
    if (performance.now() > deadline) throw new Error(`${name}: ${delivered()} of ${total} deliveries after 120 s`);
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuSecondsBetween(t0, await cpuOf(pid)).total;
  const bad = checks.filter((c) => c.problem !== null || c.next !== MSGS);
  if (bad.length > 0) throw new Error(`${name}: ${bad.length} subscribers got a wrong stream, e.g. ${bad[0]!.problem ?? `${bad[0]!.next} messages`}`);
  return { name, deliveries: total, seconds, cpuSeconds: cpu };
}

async function grocketd(threads: number, processes = 1): Promise<Result> {
  const name = processes > 1 ? `grocketd-${processes}p` : `grocketd-${threads}t`;
  const cmd = [process.execPath, "src/grocketd.ts", "--module", "bench/modules/fanout.ts", "--listen", "tcp://127.0.0.1:0", "--threads", String(threads)];
  const server = await startServer(name, cmd, { cwd: root, env: { ...process.env, GROCKETD_SERVER_PROCESSES: String(processes) } });
  const socks: Array<{ end(): void }> = [];
  try {
    let delivered = 0;
    const checks: Check[] = [];
    const perThread = new Map<string, number>();
    for (let i = 0; i < SUBS; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, SUBS - i) }, async () => {
        const c = new Check(1);
        checks.push(c);
        let ok = Promise.withResolvers<void>();
        let carry = "";
        let subscribed = false;
        const s = await Bun.connect({
          hostname: "127.0.0.1", port: server.port,
          socket: {
            data(_s, d) {
              let text = carry + d.toString("latin1");
              if (!subscribed) {
                const nl = text.indexOf("\n");
                if (nl < 0) return void (carry = text);
                const t = text.slice(3, nl);
                perThread.set(t, (perThread.get(t) ?? 0) + 1);
                subscribed = true;
                ok.resolve();
                text = text.slice(nl + 1);
              }
              let off = 0;
              for (; off + SIZE <= text.length; off += SIZE) {
                c.seen(c.seqOf(text.slice(off, off + SIZE)));
                delivered++;
              }
              carry = text.slice(off);
            },
            error() {},
          },
        });
        socks.push(s);
        s.write("SUB\n");
        await ok.promise;
      }));
    }
    const tid = Promise.withResolvers<string>();
    const pub = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data: (_s, d) => tid.resolve(d.toString().trim()), error() {} } });
    socks.push(pub);
    pub.write("TID\n");
    const pubThread = await tid.promise;
    const r = await drive(checks, (seq) => void pub.write(message("m", seq, true)), () => delivered, server.pid, name, processes > 1);
    r.threads = [...perThread].sort().map(([t, n]) => `${t}: ${n}`).join(", ") + `; publisher on ${pubThread} (thread:pid)`;
    r.remoteShare = (SUBS - (perThread.get(pubThread) ?? 0)) / SUBS;
    return r;
  } finally {
    for (const s of socks) s.end();
    await server.stop();
  }
}

async function websocket(name: string, cmd: string[], prefix: string): Promise<Result> {
  let port = 0;
  if (name === "uws-ws") {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    port = probe.port;
    probe.stop(true);
  }
  const server: ChildServer = await startServer(name, port === 0 ? cmd : [...cmd, String(port)], { cwd: root });
  const sockets: WebSocket[] = [];
  try {
    let delivered = 0;
    const checks: Check[] = [];
    const open = (onMessage: ((m: string) => void) | null) =>
      new Promise<WebSocket>((res, rej) => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
        ws.onopen = () => res(ws);
        ws.onerror = () => rej(new Error(`${name}: a WebSocket did not open`));
        if (onMessage) ws.onmessage = (ev) => onMessage(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data as ArrayBuffer).toString("latin1"));
        sockets.push(ws);
      });
    for (let i = 0; i < SUBS; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, SUBS - i) }, () => {
        const c = new Check(prefix.length);
        checks.push(c);
        return open((m) => {
          c.seen(c.seqOf(m));
          delivered++;
        });
      }));
    }
    await Bun.sleep(100); // subscriptions are made on open, server side
    const pub = await open(null);
    const r = await drive(checks, (seq) => pub.send(message(prefix, seq, false)), () => delivered, server.pid, name);
    return r;
  } finally {
    for (const ws of sockets) ws.close();
    await server.stop();
  }
}

const want = new Set((a.only ?? "grocketd-1t,grocketd-2t,grocketd-2p,bun-ws,uws-ws").split(","));
const results: Result[] = [];
if (want.has("grocketd-1t")) results.push(await grocketd(1));
if (want.has("grocketd-2t")) results.push(await grocketd(2));
if (want.has("grocketd-2p")) results.push(await grocketd(1, 2));
if (want.has("bun-ws")) results.push(await websocket("bun-ws", [process.execPath, "bench/servers/bun-ws-pubsub.ts"], "m"));
if (want.has("uws-ws")) {
  if (uws === undefined) console.log("uws-ws: ../shared/anchors/uws-ws-echo not found; not run");
  else results.push(await websocket("uws-ws", [uws], "pub "));
}

console.log(`fan-out: ${SUBS} subscribers, ${MSGS} messages of ${SIZE} bytes, window ${WINDOW}, every delivery verified (CLK_TCK ${clockTicksPerSecond()})`);
/** Fewer CPU ticks than this say nothing (10 ms each at CLK_TCK 100): the run was too small. */
const enough = (r: Result) => r.cpuSeconds * clockTicksPerSecond() >= 20;
for (const r of results) {
  const perCpu = enough(r) ? (r.deliveries / r.cpuSeconds).toFixed(0) : "n/a";
  console.log(
    `${r.name.padEnd(12)} ${(r.deliveries / r.seconds).toFixed(0).padStart(10)} deliveries/s  ${perCpu.padStart(10)} per server-CPU-s` +
      `  (${r.cpuSeconds.toFixed(2)} CPU-s, ${r.seconds.toFixed(2)} s)${r.threads ? `  subscribers: ${r.threads}` : ""}`,
  );
}
const by = new Map(results.map((r) => [r.name, r]));
const perCpu = (n: string) => by.get(n)!.deliveries / by.get(n)!.cpuSeconds;
const measured = (...names: string[]) => names.every((n) => by.has(n) && enough(by.get(n)!));
if (!measured(...by.keys())) console.log("(some runs used too little CPU to measure: raise --subscribers / --messages)");
if (measured("grocketd-2t", "bun-ws")) console.log(`grocketd-2t / bun-ws per server-CPU-s: ${(perCpu("grocketd-2t") / perCpu("bun-ws")).toFixed(2)} (goal ≥ 1)`);
const share = by.get("grocketd-2t")?.remoteShare ?? 0;
if (measured("grocketd-1t", "grocketd-2t") && share > 0) {
  const local = by.get("grocketd-1t")!.cpuSeconds / by.get("grocketd-1t")!.deliveries;
  const mixed = by.get("grocketd-2t")!.cpuSeconds / by.get("grocketd-2t")!.deliveries;
  // A share of the 2t deliveries crosses threads: mixed = (1 - share) * local + share * remote.
  const remote = (mixed - (1 - share) * local) / share;
  console.log(`CPU per delivery (threads): local ${(local * 1e6).toFixed(3)} µs, to another thread ≈ ${(remote * 1e6).toFixed(3)} µs (${(remote / local).toFixed(2)}×, goal ≤ 1.5×; estimated from the 1t and 2t runs, ${(share * 100).toFixed(0)}% of 2t subscribers on the other thread)`);
}
const pshare = by.get("grocketd-2p")?.remoteShare ?? 0;
if (measured("grocketd-1t", "grocketd-2p") && pshare > 0) {
  const local = by.get("grocketd-1t")!.cpuSeconds / by.get("grocketd-1t")!.deliveries;
  const mixed = by.get("grocketd-2p")!.cpuSeconds / by.get("grocketd-2p")!.deliveries;
  const remote = (mixed - (1 - pshare) * local) / pshare;
  console.log(`CPU per delivery (processes): to another process ≈ ${(remote * 1e6).toFixed(3)} µs (${(remote / local).toFixed(2)}× a local one; master relay over IPC, ${(pshare * 100).toFixed(0)}% of 2p subscribers in the other process)`);
}
