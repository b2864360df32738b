// What idle connections cost in the server's JS heap (issue 17 goal 3): the test process runs the server
// (in-process.ts), a child process (idle-client.ts) opens the connections, so the heap measured holds only the
// server's side. Both heap readings follow full collections: live objects only, not the garbage of their requests.
import type { InProcessServer } from "./in-process.ts";
import { until } from "./until.ts";

const jsc = require("bun:jsc") as { heapStats(): { heapSize: number; objectCount: number } };

export interface IdleHeap {
  /** Heap bytes and objects per idle connection. */
  bytes: number;
  objects: number;
}

function live(): { heapSize: number; objectCount: number } {
  Bun.gc(true);
  Bun.gc(true);
  return jsc.heapStats();
}

async function openIdle(server: InProcessServer, n: number, kind: "http" | "tcp"): Promise<{ close(): Promise<void> }> {
  const p = Bun.spawn([process.execPath, `${import.meta.dir}/idle-client.ts`, String(server.port), String(n), kind], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = p.stdout.getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`idle client exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  return {
    async close() {
      p.stdin.end();
      await p.exited;
    },
  };
}

/**
 * Opens `n` connections, each used once; once `settled()` says the server has let them idle (e.g. parked), and
 * `settleMs` later, the
 * server-side heap per connection. A first round of as many connections runs the same code paths before the baseline,
 * so what is compiled, cached or grown once per thread (code, the connection set's table, WASM memory) is not counted.
 */
export async function idleHeapPerConnection(server: InProcessServer, n: number, kind: "http" | "tcp", settled: () => boolean, settleMs = 0): Promise<IdleHeap> {
  const warm = await openIdle(server, n, kind);
  await until(settled, "warm-up connections idle", 10_000, 20);
  await warm.close();
  await until(() => server.io.conns.size === 0, "warm-up connections closed", 10_000, 20);
  const before = live();
  const c = await openIdle(server, n, kind);
  await until(() => server.io.conns.size === n, `${n} connections open`, 10_000, 20);
  await until(settled, `${n} connections idle`, 10_000, 20);
  await Bun.sleep(settleMs);
  const after = live();
  await c.close();
  return { bytes: (after.heapSize - before.heapSize) / n, objects: (after.objectCount - before.objectCount) / n };
}
