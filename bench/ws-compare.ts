// `bun run bench:ws`: WebSocket echo. N connections, P messages in flight on each, every echo checked byte for byte
// (each connection must get back exactly what it sent, in order). Servers, in one run:
//   grocketd   bench/modules/ws-echo.ts on ws://127.0.0.1:0/, one I/O thread
//   bun-ws     Bun.serve WebSocket echoing in its `message` handler (bench/servers/bun-ws-echo.ts), one thread
//   uws-ws     ../shared/anchors/uws-ws-echo PORT, when present (said so when absent)
// Reported: messages per second and per server-CPU-second (the server's own CPU from /proc, user + system). The
// client runs in this process on the same machine, so on a shared box compare the per-CPU-second figures.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "./lib/cli-args.ts";
import { startServer, type ChildServer } from "./lib/child-server.ts";
import { cpuSecondsBetween, readCpuTicks } from "./lib/proc-stat.ts";

const USAGE = "usage: bun bench/ws-compare.ts [--connections 50] [--inflight 16] [--messages 2000] [--size 32] [--only grocketd,bun-ws,uws-ws]";
const a = parseArgs(process.argv.slice(2), { connections: "number", inflight: "number", messages: "number", size: "number", only: "string" }, USAGE);
const CONNS = a.connections ?? 50;
const INFLIGHT = Math.max(1, a.inflight ?? 16);
/** Messages each connection sends (and must get back). */
const MSGS = a.messages ?? 2000;
const SIZE = Math.max(16, a.size ?? 32);
const root = resolve(import.meta.dir, "..");
const uws = [resolve(root, "../shared/anchors/uws-ws-echo"), resolve(root, "../../shared/anchors/uws-ws-echo")].find((p) => existsSync(p));

interface Result {
  name: string;
  messages: number;
  seconds: number;
  cpuSeconds: number;
}

/** Message k of connection c: its identity in the first bytes, padding to SIZE (never starts with "pub ", uws's publish prefix). */
function message(c: number, k: number): string {
  const head = `m${c}:${k}:`;
  return head + "x".repeat(Math.max(0, SIZE - head.length));
}

async function run(name: string, cmd: string[], path: string, portArg: boolean): Promise<Result> {
  let port = 0;
  if (portArg) {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    port = probe.port;
    probe.stop(true);
  }
  const server: ChildServer = await startServer(name, portArg ? [...cmd, String(port)] : cmd, { cwd: root });
  const sockets: WebSocket[] = [];
  try {
    let done = 0;
    let failure: string | null = null;
    const finished = Promise.withResolvers<void>();
    const conns = await Promise.all(Array.from({ length: CONNS }, (_, c) => new Promise<{ ws: WebSocket; sent: number; got: number }>((res, rej) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`);
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
    for (const [c, st] of conns.entries()) while (st.sent < Math.min(INFLIGHT, MSGS)) st.ws.send(message(c, st.sent++));
    const timeout = Bun.sleep(120_000).then(() => "timeout" as const);
    if ((await Promise.race([finished.promise, timeout])) === "timeout") throw new Error(`${name}: ${done} of ${CONNS} connections finished after 120 s`);
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuSecondsBetween(t0, await readCpuTicks(server.pid)).total;
    if (failure !== null) throw new Error(`${name}: wrong echo: ${failure}`);
    return { name, messages: CONNS * MSGS, seconds, cpuSeconds: cpu };
  } finally {
    for (const ws of sockets) ws.close();
    await server.stop();
  }
}

const want = new Set((a.only ?? "grocketd,bun-ws,uws-ws").split(","));
const results: Result[] = [];
console.log(`bench:ws  ${CONNS} connections × ${INFLIGHT} in flight, ${MSGS} messages of ${SIZE} bytes each, every echo checked`);
if (want.has("grocketd")) {
  results.push(await run("grocketd", [process.execPath, "src/grocketd.ts", "--module", "bench/modules/ws-echo.ts", "--listen", "ws://127.0.0.1:0/", "--threads", "1"], "/", false));
}
if (want.has("bun-ws")) results.push(await run("bun-ws", [process.execPath, "bench/servers/bun-ws-echo.ts"], "/", false));
if (want.has("uws-ws")) {
  if (uws === undefined) console.log("uws-ws: skipped, ../shared/anchors/uws-ws-echo is not present");
  else results.push(await run("uws-ws", [uws], "/", true));
}
const base = results.find((r) => r.name === "bun-ws");
const anchor = results.find((r) => r.name === "uws-ws");
for (const r of results) {
  const perCpu = r.cpuSeconds > 0 ? r.messages / r.cpuSeconds : 0;
  const ratio = (o: Result | undefined) => (o === undefined || o === r || o.cpuSeconds === 0 || r.cpuSeconds === 0 ? "" : `  ×${(perCpu / (o.messages / o.cpuSeconds)).toFixed(2)} vs ${o.name}`);
  console.log(`${r.name.padEnd(9)} ${(r.messages / r.seconds).toFixed(0).padStart(9)} msg/s  ${perCpu.toFixed(0).padStart(9)} msg/server-CPU-s  (${r.cpuSeconds.toFixed(2)} CPU-s)${ratio(base)}${ratio(anchor)}`);
}
