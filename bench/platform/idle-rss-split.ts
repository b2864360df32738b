// Where the RSS that bench/idle-memory.ts counts per idle connection lives: one server (grocketd HTTP or TCP on one
// I/O thread, or the bare Bun.listen echo) gets N connections on 127.0.0.1, each used once (`get`) or never (`none`);
// the growth of the Rss of every mapping (/proc/PID/smaps) is summed by kind: bun's executable text faulted in by code
// run for the first time (file-backed), JIT code (anonymous and executable), WASM memory (an anonymous reservation of
// 4 GiB or more: llhttp's linear memory), the allocator's arenas (anonymous regions of 256 MiB or more: malloc and
// the JS heap) and other anonymous memory (thread stacks, small mmaps). Contiguous anonymous mappings are one region,
// so a reservation that splits as it is touched is still counted as one. `warm`: a round of as many connections,
// served once and closed, before the first reading (bench/idle-memory.ts --warm), so what is paid once is not counted.
// Usage: bun bench/platform/idle-rss-split.ts http|tcp|bare [get|none] [N=10000] [warm]  (needs `ulimit -n` above N + 256)
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startServer } from "../lib/child-server.ts";

const [kind = "http", mode = "get", nArg = "10000", warmArg = ""] = process.argv.slice(2);
const n = Number(nArg);
const bun = process.execPath;
const cmd = kind === "bare"
  ? [bun, "bench/bare-echo-server.ts", "--host", "127.0.0.1", "--port", "0"]
  : [bun, "src/grocketd.ts", "--threads", "1", "--listen", `${kind}://127.0.0.1:0`, "--module", kind === "http" ? "modules/hello.ts" : "modules/echo.ts"];
const srv = await startServer(kind, ["sh", "-c", 'ulimit -n $(ulimit -Hn) && exec "$@"', "sh", ...cmd], { cwd: resolve(import.meta.dir, "../..") });

const KINDS = ["text", "jit", "wasm", "arenas", "other"] as const;
type Kind = (typeof KINDS)[number];
const GiB = 1024 * 1024; // in KiB, smaps' unit

/** Rss in KiB summed by kind of mapping (see the header). */
function byKind(pid: number): Record<Kind, number> {
  const out: Record<Kind, number> = { text: 0, jit: 0, wasm: 0, arenas: 0, other: 0 };
  // The anonymous region being summed: its size, whether any part is executable, its Rss.
  let region = { end: -1, size: 0, exec: false, rss: 0 };
  const close = () => {
    if (region.end < 0) return;
    out[region.exec ? "jit" : region.size >= 4 * GiB ? "wasm" : region.size >= GiB / 4 ? "arenas" : "other"] += region.rss;
    region = { end: -1, size: 0, exec: false, rss: 0 };
  };
  let file = false;
  for (const l of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(l)) {
      const f = l.split(/\s+/);
      const [start, end] = f[0]!.split("-").map((x) => parseInt(x, 16));
      file = (f[5] ?? "").startsWith("/");
      if (file || start !== region.end) close();
      if (!file) {
        region.end = end!;
        region.size += (end! - start!) / 1024;
        region.exec ||= f[1]!.includes("x");
      }
    } else if (l.startsWith("Rss:")) {
      const kb = Number(l.split(/\s+/)[1]);
      if (file) out.text += kb; // every file-backed mapping: bun's text and data, shared libraries
      else region.rss += kb;
    }
  }
  close();
  return out;
}

const req = kind === "http" ? "GET / HTTP/1.1\r\nHost: h\r\n\r\n" : "7".padStart(44, "0");
const held: { terminate(): void }[] = [];
const one = () =>
  new Promise<void>((res, rej) => {
    let got = 0;
    void Bun.connect({
      hostname: "127.0.0.1",
      port: srv.port,
      socket: {
        open: (s) => (mode === "none" ? (held.push(s), res()) : void s.write(req)),
        data: (s, d) => {
          got += d.length;
          if (got >= (kind === "http" ? 60 : 44)) (held.push(s), res());
        },
        close: () => rej(new Error("closed by the server")),
        error: (_s, e) => rej(e),
        connectError: (_s, e) => rej(e),
      },
    }).catch(rej);
  });
const burst = async () => {
  for (let i = 0; i < n; i += 256) await Promise.all(Array.from({ length: Math.min(256, n - i) }, one));
};
try {
  await Bun.sleep(3000);
  if (warmArg === "warm") {
    await burst();
    for (const s of held.splice(0)) s.terminate();
    await Bun.sleep(4000); // the closes, then the thread's idle collection (io/idle-gc.ts)
  }
  const before = byKind(srv.pid);
  await burst();
  await Bun.sleep(3000);
  const after = byKind(srv.pid);
  const per = (k: Kind) => (after[k] - before[k]) / n;
  const total = KINDS.reduce((t, k) => t + per(k), 0);
  console.log(`${kind} ${mode}${warmArg === "warm" ? " warm" : ""}: ${total.toFixed(2)} KiB per connection: ${KINDS.map((k) => `${k} ${per(k).toFixed(2)}`).join(", ")}`);
} finally {
  for (const s of held) s.terminate();
  await srv.stop(3000);
}
