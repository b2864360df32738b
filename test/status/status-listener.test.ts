// The status listener of the real process: /status sums, /metrics as strict Prometheus text whose counters move,
// /healthz and /readyz (starting, ready, draining), and its configuration errors.
import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ENTRY, ROOT, runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { kisses } from "../helpers/kiss.ts";
import { parsePrometheus, sampleSum, sampleValue } from "../helpers/prometheus.ts";
import { connect } from "../helpers/tcp-client.ts";

const COUNTED = resolve(import.meta.dir, "../fixtures/modules/counted.ts");
let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

async function start(env: Record<string, string> = {}): Promise<{ r: Running; status: string; tcp: number; http: number }> {
  const r = await startGrocketd(["-m", COUNTED, "--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0", "--threads", "2"], {
    env: { GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0", ...env },
    expectListening: 2,
  });
  running = r;
  const m = await r.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/);
  return { r, status: m[1]!, tcp: r.ports[0]!, http: r.ports[1]! };
}

/** The direct child processes of `pid`, sorted (from /proc/PID/task/TID/children). */
function childPids(pid: number): number[] {
  const out = new Set<number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/)) if (c !== "") out.add(Number(c));
  }
  return [...out].sort((a, b) => a - b);
}

/** Sends `n` kiss packets on a new connection, waits for every echo, closes. */
async function kissRound(port: number, n: number): Promise<void> {
  const c = await connect(port);
  c.write(kisses(1, n));
  await c.waitBytes(n * 44, 5000);
  c.end();
  await c.closed;
}

async function getStatus(base: string): Promise<any> {
  const res = await fetch(`${base}/status`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  return res.json();
}

/** Polls /status until `ok` holds (gauges and the last close are a moment behind the client). */
async function statusWhen(base: string, ok: (s: any) => boolean, timeoutMs = 5000): Promise<any> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const s = await getStatus(base);
    if (ok(s) || performance.now() > end) return s;
    await Bun.sleep(20);
  }
}

describe("status listener", () => {
  test("/status sums the threads' counters: connections, packets, requests, bytes, responses, errors, module counters", async () => {
    const { status, tcp, http } = await start();
    await kissRound(tcp, 5);
    await kissRound(tcp, 7);
    for (const path of ["/a", "/b", "/fail"]) await fetch(`http://127.0.0.1:${http}${path}`, { headers: { Connection: "close" } }).then((r) => r.text());
    const s = await statusWhen(status, (x) => x.connections.open === 0 && x.requests.http === 3 && x.http_responses["5xx"] === 1);
    expect(s.state).toBe("ready");
    expect(s.ready).toBe(true);
    expect(s.generation).toBe(1);
    expect(s.processes).toBe(1);
    expect(s.threads).toEqual({ io: 2, handler: 0 });
    expect(s.uptime_s).toBeGreaterThan(0);
    expect(s.requests).toEqual({ packets: 12, http: 3, total: 15 });
    expect(s.http_responses).toEqual({ "1xx": 0, "2xx": 2, "3xx": 0, "4xx": 0, "5xx": 1 });
    expect(s.errors).toEqual({ total: 1, handler: 1, bad_data: 0, http_rejected: 0, uncaught: 0 });
    expect(s.connections.open).toBe(0);
    expect(s.connections.total).toBe(5); // 2 TCP + 3 HTTP, each with Connection: close
    expect(s.connections.refused).toBe(0);
    // Every TCP byte is echoed; HTTP adds request heads in and responses out.
    expect(s.bytes.in).toBeGreaterThan(12 * 44);
    expect(s.bytes.out).toBeGreaterThan(12 * 44);
    expect(s.modules).toEqual({ "counted.packets": 12, "counted.requests": 3 });
    expect(s.ring_depth).toEqual({ to_handlers: 0, from_handlers: 0 });
    // The sums are the per-thread values added up.
    expect(s.per_thread.map((t: any) => `${t.role}/${t.thread}`)).toEqual(["io/0", "io/1"]);
    expect(s.per_thread.reduce((n: number, t: any) => n + t.requests.packets, 0)).toBe(12);
    expect(s.per_thread.reduce((n: number, t: any) => n + t.bytes.in, 0)).toBe(s.bytes.in);
  });

  test("/metrics is strict Prometheus text; its counters move between scrapes; per-thread series add up to the sums", async () => {
    const { status, tcp, http } = await start();
    await kissRound(tcp, 3);
    const first = await fetch(`${status}/metrics`);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const a = parsePrometheus(await first.text());

    await kissRound(tcp, 10);
    await fetch(`http://127.0.0.1:${http}/x`).then((r) => r.text());
    await statusWhen(status, (x) => x.connections.open <= 1 && x.requests.packets === 13);
    // /metrics is rendered at most once per 100 ms (render-cache.ts): poll until the scrape shows the new counts.
    let b = parsePrometheus(await (await fetch(`${status}/metrics`)).text());
    for (let i = 0; i < 100 && sampleValue(b, "grocketd_server_packets_total") !== 13; i++) {
      await Bun.sleep(20);
      b = parsePrometheus(await (await fetch(`${status}/metrics`)).text());
    }

    expect(a.get("grocketd_connections_total")!.type).toBe("counter");
    expect(a.get("grocketd_connections_open")!.type).toBe("gauge");
    expect(sampleValue(a, "grocketd_server_packets_total")).toBe(3);
    expect(sampleValue(b, "grocketd_server_packets_total")).toBe(13);
    expect(sampleValue(b, "grocketd_server_http_requests_total") - sampleValue(a, "grocketd_server_http_requests_total")).toBe(1);
    expect(sampleValue(b, "grocketd_server_http_responses_total", { class: "2xx" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(b, "grocketd_server_received_bytes_total")).toBeGreaterThan(sampleValue(a, "grocketd_server_received_bytes_total"));
    expect(sampleValue(b, "grocketd_server_sent_bytes_total")).toBeGreaterThan(sampleValue(a, "grocketd_server_sent_bytes_total"));
    expect(sampleValue(b, "grocketd_server_connections_total")).toBeGreaterThan(sampleValue(a, "grocketd_server_connections_total"));
    // Per-thread series carry a thread label and add up to the server-wide family.
    for (const name of ["packets_total", "received_bytes_total", "sent_bytes_total", "connections_total"]) {
      const f = b.get(`grocketd_${name}`)!;
      expect(f.samples.map((s) => s.labels.thread).sort()).toEqual(["0", "1"]);
      expect(sampleSum(b, `grocketd_${name}`)).toBe(sampleValue(b, `grocketd_server_${name}`));
    }
    expect(sampleValue(b, "grocketd_server_module_counter_total", { module: "counted", counter: "packets" })).toBe(13);
    expect(sampleSum(b, "grocketd_module_counter_total", { module: "counted", counter: "packets" })).toBe(13);
    expect(sampleValue(b, "grocketd_ready")).toBe(1);
    expect(sampleValue(b, "grocketd_generation")).toBe(1);
    expect(sampleValue(b, "grocketd_threads", { role: "io" })).toBe(2);
    expect(sampleValue(b, "grocketd_uptime_seconds")).toBeGreaterThan(sampleValue(a, "grocketd_uptime_seconds"));
  });

  test("/metrics: request durations per listener and status class, as a histogram, in pool mode too; process_* metrics", async () => {
    const { status, http } = await start({ GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1", SLOW_MS: "30" });
    const get = (path: string) => fetch(`http://127.0.0.1:${http}${path}`).then((r) => r.text());
    await get("/a");
    await get("/slow"); // ≥ 30 ms: past the 25 ms bucket
    await get("/fail"); // 500
    const listener = `http://127.0.0.1:${http}`;
    let m = parsePrometheus(await (await fetch(`${status}/metrics`)).text());
    for (let i = 0; i < 100 && !m.has("grocketd_http_request_duration_seconds"); i++) {
      await Bun.sleep(20);
      m = parsePrometheus(await (await fetch(`${status}/metrics`)).text());
    }
    for (let i = 0; i < 100 && sampleSum(m, "grocketd_http_request_duration_seconds_count") < 3; i++) {
      await Bun.sleep(20);
      m = parsePrometheus(await (await fetch(`${status}/metrics`)).text());
    }
    expect(m.get("grocketd_http_request_duration_seconds")!.type).toBe("histogram");
    const ok = { listener, class: "2xx" };
    expect(sampleValue(m, "grocketd_http_request_duration_seconds_count", ok)).toBe(2);
    expect(sampleValue(m, "grocketd_http_request_duration_seconds_bucket", { ...ok, le: "+Inf" })).toBe(2);
    expect(sampleValue(m, "grocketd_http_request_duration_seconds_bucket", { ...ok, le: "0.025" })).toBeLessThanOrEqual(1);
    expect(sampleValue(m, "grocketd_http_request_duration_seconds_sum", ok)).toBeGreaterThanOrEqual(0.03);
    expect(sampleValue(m, "grocketd_http_request_duration_seconds_count", { listener, class: "5xx" })).toBe(1);
    // The per-class counts agree with the response counters.
    expect(sampleSum(m, "grocketd_http_request_duration_seconds_count")).toBe(sampleSum(m, "grocketd_server_http_responses_total"));
    expect(sampleValue(m, "process_resident_memory_bytes")).toBeGreaterThan(1024 * 1024);
    expect(sampleValue(m, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(sampleValue(m, "process_open_fds")).toBeGreaterThan(3);
    const started = sampleValue(m, "process_start_time_seconds");
    expect(started).toBeLessThanOrEqual(Date.now() / 1000);
    expect(started).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  test("pool mode: handler threads report what they ran; module counters come from where the module ran", async () => {
    const { status, tcp, http } = await start({ GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "2" });
    await kissRound(tcp, 6);
    await fetch(`http://127.0.0.1:${http}/p`, { headers: { Connection: "close" } }).then((r) => r.text());
    const s = await statusWhen(status, (x) => x.connections.open === 0 && x.modules["counted.requests"] === 1);
    expect(s.threads).toEqual({ io: 2, handler: 2 });
    expect(s.requests).toEqual({ packets: 6, http: 1, total: 7 });
    const handlers = s.per_thread.filter((t: any) => t.role === "handler");
    expect(handlers.map((t: any) => t.thread)).toEqual([0, 1]);
    expect(handlers.reduce((n: number, t: any) => n + t.packets, 0)).toBe(6);
    expect(handlers.reduce((n: number, t: any) => n + t.http_requests, 0)).toBe(1);
    expect(s.modules).toEqual({ "counted.packets": 6, "counted.requests": 1 });
    const m = parsePrometheus(await (await fetch(`${status}/metrics`)).text());
    expect(sampleSum(m, "grocketd_handler_packets_total")).toBe(6);
    expect(m.get("grocketd_ring_depth")!.samples).toHaveLength(4); // 2 I/O threads x 2 directions
  });

  test("multi-process mode: child processes' counters reach the master's listener, labelled by process", async () => {
    const { r, status, tcp } = await start({ GROCKETD_SERVER_PROCESSES: "2", GROCKETD_IO_THREADS: "1" });
    for (let i = 0; i < 4; i++) await kissRound(tcp, 5);
    // Children push every second.
    const s = await statusWhen(status, (x) => x.requests.packets === 20 && x.connections.open === 0, 15_000);
    expect(s.processes).toBe(2);
    expect(s.requests.packets).toBe(20);
    expect(s.modules["counted.packets"]).toBe(20);
    // A child's process_* samples come with its first push: the child that served none of the packets above may not
    // have pushed yet on a loaded machine. Wait for both (bounded), then look.
    const metrics = async () => parsePrometheus(await (await fetch(`${status}/metrics`)).text());
    let m = await metrics();
    for (const end = performance.now() + 15_000; (m.get("process_start_time_seconds")?.samples.length ?? 0) < 3 && performance.now() < end; ) {
      await Bun.sleep(50);
      m = await metrics();
    }
    expect(sampleValue(m, "grocketd_server_packets_total")).toBe(20);
    expect(new Set(m.get("grocketd_packets_total")!.samples.map((x) => x.labels.process)).size).toBeGreaterThanOrEqual(1);
    expect(m.get("grocketd_packets_total")!.samples.every((x) => x.labels.process !== undefined && x.labels.thread !== undefined)).toBe(true);
    // process_*: one series per process, the master's own and each child's (pushed with its counters), by pid.
    const kids = childPids(r.proc.pid);
    expect(kids).toHaveLength(2);
    for (const f of ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds"]) {
      const samples = m.get(f)!.samples;
      expect(samples.map((x) => x.labels.process).sort()).toEqual(["0", "1", "master"]);
      expect(samples.find((x) => x.labels.process === "master")!.labels.pid).toBe(String(r.proc.pid));
      expect(samples.filter((x) => x.labels.process !== "master").map((x) => Number(x.labels.pid)).sort()).toEqual(kids);
      for (const x of samples) expect(x.value).toBeGreaterThan(0);
    }
    for (const pid of kids) expect(sampleValue(m, "process_resident_memory_bytes", { pid: String(pid) })).toBeGreaterThan(1024 * 1024);
  });

  test("live reload: the generation moves on, readiness holds, counters keep the old generation's counts", async () => {
    const { r, status, tcp } = await start();
    await kissRound(tcp, 3);
    r.proc.kill("SIGHUP");
    expect((await statusWhen(status, (x) => x.generation === 2, 15_000)).generation).toBe(2);
    expect((await fetch(`${status}/readyz`)).status).toBe(200);
    await kissRound(tcp, 2);
    const s = await statusWhen(status, (x) => x.requests.packets === 5 && x.connections.open === 0);
    expect(s.generation).toBe(2);
    expect(s.requests.packets).toBe(5);
    expect(s.modules["counted.packets"]).toBe(5);
    expect(s.threads.io).toBe(2);
  });

  test("/healthz, /readyz, unknown paths and methods", async () => {
    const { status } = await start();
    const h = await fetch(`${status}/healthz`);
    expect([h.status, await h.text()]).toEqual([200, "ok\n"]);
    const r = await fetch(`${status}/readyz`);
    expect([r.status, await r.text()]).toEqual([200, "ready\n"]);
    expect((await fetch(`${status}/nope`)).status).toBe(404);
    const post = await fetch(`${status}/status`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  test("/readyz is 503 while the threads start, 200 once they listen, 503 while draining; /healthz stays 200", async () => {
    // Started by hand: the helper waits for the listeners, and this test wants to look before they exist.
    const proc = Bun.spawn([process.execPath, ENTRY, "-m", COUNTED, "--listen", "http://127.0.0.1:0", "--threads", "1"], {
      cwd: ROOT,
      env: { ...cleanEnv(), GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0", INIT_DELAY_MS: "1500", SLOW_MS: "1500", GROCKETD_SERVER_DRAIN_MS: "10000" },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const out = readLines(proc.stdout);
      const base = (await out.waitFor(/status listener on (http:\/\/\S+)/))[1]!;
      const early = await fetch(`${base}/readyz`);
      expect([early.status, await early.text()]).toEqual([503, "not ready: starting\n"]);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await getStatus(base)).state).toBe("starting");

      const port = Number((await out.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);

      // A slow request in flight keeps the drain going; /readyz must say 503 before the process exits.
      const slow = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.text());
      await Bun.sleep(200);
      proc.kill("SIGTERM");
      let draining: Response | undefined;
      for (let i = 0; i < 100 && proc.exitCode === null; i++) {
        const r = await fetch(`${base}/readyz`);
        if (r.status === 503) {
          draining = r;
          break;
        }
        await Bun.sleep(10);
      }
      expect(draining?.status).toBe(503);
      expect(await draining!.text()).toBe("not ready: draining\n");
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(await slow).toBe("slow"); // the in-flight reply still arrives
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill("SIGKILL");
    }
  });

  test("a bad status.listen is refused at start (and by --check), with the key and the value", async () => {
    const bad = await runGrocketd(["--check", "-m", COUNTED, "--listen", "tcp://127.0.0.1:0"], { env: { GROCKETD_STATUS_LISTEN: "tcp://127.0.0.1:9" } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/status\.listen.*tcp:\/\/127\.0\.0\.1:9.*expected "http:\/\/host:port"/);
  });

  test("a status port in use stops the start with GRK_ERR_STATUS's message", async () => {
    const blocker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("x") });
    try {
      const r = await runGrocketd(["-m", COUNTED, "--listen", "tcp://127.0.0.1:0"], { env: { GROCKETD_STATUS_LISTEN: `http://127.0.0.1:${blocker.port}` } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/status\.listen: cannot listen on http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      void blocker.stop(true);
    }
  });
});

function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("GROCKETD_")) env[k] = v;
  return env;
}

/** Collects a stream's text and waits for patterns in it. */
function readLines(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const waiters: Array<() => void> = [];
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      text += dec.decode(chunk, { stream: true });
      for (const w of waiters.splice(0)) w();
    }
  })();
  return {
    waitFor(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
      return new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`timed out waiting for ${re} in:\n${text}`)), timeoutMs);
        const check = () => {
          const m = text.match(re);
          if (m) {
            clearTimeout(timer);
            res(m);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}
