// Where the RSS that bench/idle-memory.ts counts per idle connection lives: one server (grocketd HTTP or TCP on one
// I/O thread, or the bare Bun.listen echo) gets N connections on 127.0.0.1, each used once (`get`) or never (`none`);
// the growth of each mapping's Rss (/proc/PID/smaps) is split into anonymous memory (heaps, malloc, JIT code) and
// file-backed pages (bun's own executable text faulted in by code run for the first time).
// Usage: bun bench/platform/idle-rss-split.ts http|tcp|bare [get|none] [N=10000]  (needs `ulimit -n` above N + 256)
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startServer } from "../lib/child-server.ts";

const [kind = "http", mode = "get", nArg = "10000"] = process.argv.slice(2);
const n = Number(nArg);
const bun = process.execPath;
const cmd = kind === "bare"
  ? [bun, "bench/bare-echo-server.ts", "--host", "127.0.0.1", "--port", "0"]
  : [bun, "src/grocketd.ts", "--threads", "1", "--listen", `${kind}://127.0.0.1:0`, "--module", kind === "http" ? "modules/hello.ts" : "modules/echo.ts"];
const srv = await startServer(kind, ["sh", "-c", 'ulimit -n $(ulimit -Hn) && exec "$@"', "sh", ...cmd], { cwd: resolve(import.meta.dir, "../..") });

/** Rss in KiB of every mapping, keyed by start address and path ("" for anonymous). */
function mappings(pid: number): Map<string, number> {
  const m = new Map<string, number>();
  let cur = "";
  for (const l of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(l)) {
      const f = l.split(/\s+/);
      cur = `${f[0]!.split("-")[0]} ${f[5] ?? ""}`;
    } else if (l.startsWith("Rss:")) m.set(cur, Number(l.split(/\s+/)[1]));
  }
  return m;
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
try {
  await Bun.sleep(3000);
  const before = mappings(srv.pid);
  for (let i = 0; i < n; i += 256) await Promise.all(Array.from({ length: Math.min(256, n - i) }, one));
  await Bun.sleep(3000);
  let anon = 0;
  let file = 0;
  for (const [k, v] of mappings(srv.pid)) {
    const d = v - (before.get(k) ?? 0);
    if (k.includes("/")) file += d;
    else anon += d;
  }
  console.log(`${kind} ${mode}: ${((anon + file) / n).toFixed(2)} KiB per connection: anonymous ${(anon / n).toFixed(2)}, file-backed ${(file / n).toFixed(2)}`);
} finally {
  for (const s of held) s.terminate();
  await srv.stop(3000);
}
