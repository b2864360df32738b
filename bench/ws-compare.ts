// `bun run bench:ws`: WebSocket echo. N connections, P messages in flight on each, every echo checked byte for byte
// (each connection must get back exactly what it sent, in order). Two modes in one run: ping-pong (1 in flight, the
// issue's "≥ 1.0× Bun.serve" goal) and --inflight P (16: the "≥ 1.0× uWebSockets" goal). Servers, each started fresh
// per round, order alternating between rounds:
//   grocketd   bench/modules/ws-echo.ts on ws://127.0.0.1:0/, one I/O thread (--grocketd-dir DIR: another checkout;
//              --baseline DIR: that checkout as one more server, grocketd-base, in the same rounds)
//   bun-ws     Bun.serve WebSocket echoing in its `message` handler (bench/servers/bun-ws-echo.ts), one thread
//   uws-ws     ../shared/anchors/uws-ws-echo PORT, when present (said so when absent)
// Reported: medians and ranges over rounds of messages per second and per server-CPU-second (the server's own CPU
// from /proc, user + system). The client runs in this process on the same machine, so compare per CPU-second.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "./lib/cli-args.ts";
import { startServer, type ChildServer } from "./lib/child-server.ts";
import { cpuSecondsBetween, readCpuTicks } from "./lib/proc-stat.ts";
import { spread, type Spread } from "./lib/stats.ts";
import { chartNote, writeSvgChart } from "./lib/svg-chart.ts";
import { AB_USAGE, BASE, checkoutDir } from "./lib/grocketd-dir.ts";

const USAGE =
  "usage: bun bench/ws-compare.ts [--rounds 3] [--connections 50] [--inflight 16] [--messages 2000] [--size 32]\n" +
  "       [--only grocketd,bun-ws,uws-ws] [--grocketd-dir DIR] [--baseline DIR] [--svg FILE]\n" +
  AB_USAGE;
const a = parseArgs(
  process.argv.slice(2),
  { rounds: "number", connections: "number", inflight: "number", messages: "number", size: "number", only: "string", "grocketd-dir": "string", baseline: "string", svg: "string" },
  USAGE,
);
const ROUNDS = Math.max(1, a.rounds ?? 3);
const CONNS = a.connections ?? 50;
const INFLIGHT = Math.max(1, a.inflight ?? 16);
/** Messages each connection sends (and must get back). */
const MSGS = a.messages ?? 2000;
const SIZE = Math.max(16, a.size ?? 32);
const root = resolve(import.meta.dir, "..");
const grocketdDir = checkoutDir(a["grocketd-dir"], root, "--grocketd-dir");
const baseDir = a.baseline === undefined ? undefined : checkoutDir(a.baseline, root, "--baseline");
const uws = [resolve(root, "../shared/anchors/uws-ws-echo"), resolve(root, "../../shared/anchors/uws-ws-echo")].find((p) => existsSync(p));

interface Run {
  messages: number;
  seconds: number;
  cpuSeconds: number;
}

/** Message k of connection c: its identity in the first bytes, padding to SIZE (never starts with "pub ", uws's publish prefix). */
function message(c: number, k: number): string {
  const head = `m${c}:${k}:`;
  return head + "x".repeat(Math.max(0, SIZE - head.length));
}

async function run(name: string, cmd: string[], cwd: string, portArg: boolean, inflight: number): Promise<Run> {
  let port = 0;
  if (portArg) {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    port = probe.port;
    probe.stop(true);
  }
  const server: ChildServer = await startServer(name, portArg ? [...cmd, String(port)] : cmd, { cwd });
  const sockets: WebSocket[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    let done = 0;
    let failure: string | null = null;
    const finished = Promise.withResolvers<void>();
    const conns = await Promise.all(Array.from({ length: CONNS }, (_, c) => new Promise<{ ws: WebSocket; sent: number; got: number }>((res, rej) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      const st = { ws, sent: 0, got: 0 };
      ws.onopen = () => res(st);
      ws.onerror = () => rej(new Error(`${name}: a WebSocket did not open`));
      ws.onmessage = (ev) => {
        const want = message(c, st.got);
        if (ev.data !== want && failure === null) failure = `connection ${c} message ${st.got}: got ${String(ev.data).slice(0, 40)}, want ${want.slice(0, 40)}`;
        st.got++;
        if (st.sent < MSGS) ws.send(message(c, st.sent++));
        if (st.got === MSGS && ++done === CONNS) finished.resolve();
      };
      sockets.push(ws);
    })));
    const t0 = await readCpuTicks(server.pid);
    const start = performance.now();
    for (const [c, st] of conns.entries()) while (st.sent < Math.min(inflight, MSGS)) st.ws.send(message(c, st.sent++));
    const timeout = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), 120_000)));
    if ((await Promise.race([finished.promise, timeout])) === "timeout") throw new Error(`${name}: ${done} of ${CONNS} connections finished after 120 s`);
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuSecondsBetween(t0, await readCpuTicks(server.pid)).total;
    if (failure !== null) throw new Error(`${name}: wrong echo: ${failure}`);
    return { messages: CONNS * MSGS, seconds, cpuSeconds: cpu };
  } finally {
    clearTimeout(timer);
    for (const ws of sockets) ws.close();
    await server.stop();
  }
}

const want = new Set((a.only ?? "grocketd,bun-ws,uws-ws").split(","));
const servers: Array<{ name: string; cmd: string[]; cwd: string; portArg: boolean }> = [];
if (want.has("grocketd")) {
  const cmd = [process.execPath, "src/grocketd.ts", "--module", resolve(root, "bench/modules/ws-echo.ts"), "--listen", "ws://127.0.0.1:0/", "--threads", "1"];
  servers.push({ name: "grocketd", cmd, cwd: grocketdDir, portArg: false });
  if (baseDir) servers.push({ name: BASE, cmd, cwd: baseDir, portArg: false });
}
if (want.has("bun-ws")) servers.push({ name: "bun-ws", cmd: [process.execPath, resolve(root, "bench/servers/bun-ws-echo.ts")], cwd: root, portArg: false });
if (want.has("uws-ws")) {
  if (uws === undefined) console.log("uws-ws: skipped, ../shared/anchors/uws-ws-echo is not present");
  else servers.push({ name: "uws-ws", cmd: [uws], cwd: root, portArg: true });
}
const modes = [...new Set([1, INFLIGHT])];
console.log(`bench:ws  ${CONNS} connections, ${MSGS} messages of ${SIZE} bytes each, every echo checked; in flight: ${modes.join(", ")}; ${ROUNDS} round(s)${grocketdDir === root ? "" : `; grocketd from ${grocketdDir}`}${baseDir ? `; ${BASE} from ${baseDir}` : ""}`);
const perCpu = new Map<string, number[]>();
const perSec = new Map<string, number[]>();
for (let round = 1; round <= ROUNDS; round++) {
  const order = round % 2 === 1 ? servers : [...servers].reverse();
  for (const inflight of modes) {
    for (const s of order) {
      const r = await run(s.name, s.cmd, s.cwd, s.portArg, inflight);
      const key = `${inflight}\t${s.name}`;
      // A run too short for one CPU tick has no per-CPU figure (0, and no ratio is drawn from it).
      const pc = r.cpuSeconds > 0 ? r.messages / r.cpuSeconds : 0;
      (perCpu.get(key) ?? perCpu.set(key, []).get(key)!).push(pc);
      (perSec.get(key) ?? perSec.set(key, []).get(key)!).push(r.messages / r.seconds);
      console.log(`round ${round}/${ROUNDS} in-flight ${String(inflight).padStart(2)} ${s.name.padEnd(13)} ${(r.messages / r.seconds).toFixed(0).padStart(8)} msg/s ${pc.toFixed(0).padStart(8)} msg/server-CPU-s (${r.cpuSeconds.toFixed(2)} CPU-s)`);
    }
  }
}
const fmt = (s: Spread): string => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
console.log("\nmedians (min–max) over rounds; ratios of medians per server-CPU-second");
for (const inflight of modes) {
  const of = (name: string): Spread | undefined => {
    const xs = perCpu.get(`${inflight}\t${name}`);
    return xs === undefined ? undefined : spread(xs);
  };
  for (const s of servers) {
    const mine = of(s.name)!;
    const vs = [...(s.name === "grocketd" ? [BASE] : []), "bun-ws", "uws-ws"].filter((o) => o !== s.name && (of(o)?.median ?? 0) > 0 && mine.median > 0).map((o) => `×${(mine.median / of(o)!.median).toFixed(2)} vs ${o}`);
    console.log(`in-flight ${String(inflight).padStart(2)} ${s.name.padEnd(13)} ${fmt(spread(perSec.get(`${inflight}\t${s.name}`)!)).padStart(26)} msg/s  ${fmt(mine).padStart(26)} msg/server-CPU-s  ${vs.join("  ")}`);
  }
}
if (a.svg) {
  writeSvgChart(a.svg, {
    title: `bench:ws — WebSocket echo, ${CONNS} connections, ${SIZE}-byte messages`,
    unit: "messages per server-CPU-second",
    groups: modes.map((inflight) => ({
      title: inflight === 1 ? "ping-pong (1 in flight)" : `${inflight} in flight`,
      bars: servers.map((s) => ({ label: s.name, value: spread(perCpu.get(`${inflight}\t${s.name}`)!) })),
    })),
    note: chartNote(ROUNDS, navigator.hardwareConcurrency),
  });
  console.log(`chart written to ${a.svg}`);
}
