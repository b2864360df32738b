// Interop with a real browser: headless Chromium (Debian `chromium`; .ci/run installs it) loads a page that the
// module's own `http` hook serves on an `http://…?ws=/live` entry, the page opens a WebSocket to /live on the same
// listener, exchanges text, binary and a 70 000-byte message, closes with a code and reason, and posts what it saw to
// the module's /result. Loopback only; the browser is given a fresh profile directory, bounded in time and killed
// by its PID at the end. Skipped, saying so, where chromium is not installed.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModuleDefinition } from "../../src/module/types.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";

const CHROMIUM = Bun.which("chromium");
let server: InProcessServer | undefined;
let browser: ReturnType<typeof Bun.spawn> | undefined;
let profile: string | undefined;
afterEach(async () => {
  if (browser && browser.exitCode === null) {
    // Chromium's helper processes (zygote, renderer, network service) outlive it by a moment: note them by PID
    // first, end the browser (SIGTERM, SIGKILL after 2 s: inside the hook's own 5 s timeout), then end those of them still running.
    const helpers = descendants(browser.pid);
    browser.kill("SIGTERM");
    const b = browser;
    const hard = setTimeout(() => b.kill("SIGKILL"), 2000);
    await b.exited;
    clearTimeout(hard);
    for (const pid of helpers) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {} // already gone
    }
  }
  browser = undefined;
  server?.stop();
  server = undefined;
  if (profile) rmSync(profile, { recursive: true, force: true });
  profile = undefined;
});

/** The PIDs below `root` in the process tree, from /proc (Linux; empty elsewhere). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      // Field 4 of /proc/PID/stat is the parent PID; the command name (field 2) may hold spaces, so split after ")".
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {} // exited meanwhile
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) for (const c of children.get(todo.pop()!) ?? []) out.push(c), todo.push(c);
  return out;
}

// The page: every step waits for the echo of the one before, so what it reports is what came back, in order.
const PAGE = `<!doctype html><meta charset="utf-8"><title>ws interop</title><pre id="result">pending</pre>
<script>
const out = {};
const report = () => {
  document.getElementById("result").textContent = JSON.stringify(out);
  fetch("/result", { method: "POST", body: JSON.stringify(out) });
};
const large = "z".repeat(70000);
const ws = new WebSocket("ws://" + location.host + "/live", ["echo.v1"]);
ws.binaryType = "arraybuffer";
let step = 0;
ws.onopen = () => { out.protocol = ws.protocol; ws.send("héllo from chromium"); };
ws.onmessage = (e) => {
  if (step === 0) { out.text = [typeof e.data, e.data]; ws.send(new Uint8Array([0, 1, 128, 254, 255])); }
  else if (step === 1) { out.binary = [e.data instanceof ArrayBuffer, Array.from(new Uint8Array(e.data))]; ws.send(large); }
  else if (step === 2) { out.large = [typeof e.data, e.data.length, e.data === large]; ws.close(4001, "bye"); }
  step++;
};
ws.onerror = () => { out.error = true; };
ws.onclose = (e) => { out.close = [e.code, e.reason, e.wasClean]; report(); };
</script>`;

test("headless Chromium: page from the http hook, WebSocket on the same listener, text, binary, 70 000 bytes, close", async () => {
  if (!CHROMIUM) {
    console.warn("skipped: chromium is not installed (apt-get install chromium)");
    return;
  }
  let resolveResult!: (r: unknown) => void;
  const result = new Promise<unknown>((r) => (resolveResult = r));
  const origins: Array<string | undefined> = [];
  const closes: Array<[number, string]> = [];
  const def: ModuleDefinition<unknown> = {
    name: "browser", version: "1.0.0", grocketd: "^0.1.0",
    proc: (p) => p,
    websocket: {
      protocols: ["echo.v1"],
      upgrade: (_req, info) => void origins.push(info.origin),
      close: (_c, code, reason) => void closes.push([code, reason]),
    },
    http: (req, res) => {
      if (req.method === "POST" && req.path === "/result") {
        resolveResult(req.json());
        return "ok";
      }
      if (req.path === "/") {
        res.header("Content-Type", "text/html; charset=utf-8").send(PAGE);
        return;
      }
      res.status(404).send("not found");
    },
  };
  server = startInProcess(def, {}, { protocol: "http", query: "?ws=/live", ws: { ping_interval_ms: 0 } });
  profile = mkdtempSync(join(tmpdir(), "grocketd-chromium-"));
  const url = `http://127.0.0.1:${server.port}/`;
  browser = Bun.spawn([
    CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`,
    url,
  ], { stdout: "ignore", stderr: "ignore" });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no result from the page within 40 s")), 40_000));
  const got = await Promise.race([result, timeout]);
  expect(got).toEqual({
    protocol: "echo.v1",
    text: ["string", "héllo from chromium"],
    binary: [true, [0, 1, 128, 254, 255]],
    large: ["string", 70000, true],
    close: [4001, "bye", true],
  });
  expect(origins).toEqual([`http://127.0.0.1:${server.port}`]);
  expect(closes).toEqual([[4001, "bye"]]);
}, 60_000);
