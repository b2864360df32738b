// The status listener as a web page would drive it: cross-origin POSTs, foreign Host headers (DNS rebinding),
// status.token, the refusal to start on a non-loopback address without a token, and the /metrics and /status render
// cache under a burst (renders counted with a frozen clock, no timing).
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { defaultConfig } from "../../src/config/keys.ts";
import { createLogger } from "../../src/log/logger.ts";
import { StatsRegistry } from "../../src/stats/stats-registry.ts";
import { accessPolicy, refusal, tokenMatches } from "../../src/status/status-access.ts";
import { StatusListener } from "../../src/status/status-server.ts";
import { runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { exchange } from "../helpers/http-client.ts";

const COUNTED = resolve(import.meta.dir, "../fixtures/modules/counted.ts");
const TOKEN = "0123456789abcdef0123456789abcdef";
let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

async function start(env: Record<string, string> = {}): Promise<{ r: Running; port: number }> {
  const r = await startGrocketd(["-m", COUNTED, "--listen", "http://127.0.0.1:0", "--threads", "1"], {
    env: { GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0", ...env },
  });
  running = r;
  const m = await r.waitFor(/status listener on http:\/\/127\.0\.0\.1:(\d+)/);
  return { r, port: Number(m[1]) };
}

/** One raw request with exactly these headers (fetch would set Host itself). */
async function raw(port: number, method: string, path: string, headers: Record<string, string>, body = "") {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const { c, responses } = await exchange(port, `${method} ${path} HTTP/1.1\r\n${lines}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  c.end();
  return responses[0]!;
}

async function generation(port: number): Promise<number> {
  const r = await raw(port, "GET", "/status", { Host: `127.0.0.1:${port}` });
  return (JSON.parse(r.text) as { generation: number }).generation;
}

describe("status listener access", () => {
  test("a cross-origin text/plain POST /reload is refused with 403 and reloads nothing; same-origin and no-Origin POSTs reload", async () => {
    const { r, port } = await start();
    const host = `127.0.0.1:${port}`;
    for (const origin of ["http://evil.example", "null", `https://${host}`, `http://${host}.evil.example`]) {
      const res = await raw(port, "POST", "/reload", { Host: host, Origin: origin, "Content-Type": "text/plain" }, "x=1");
      expect([origin, res.status]).toEqual([origin, 403]);
    }
    expect(r.output()).not.toContain("POST /reload: reloading");
    expect(await generation(port)).toBe(1);
    const same = await raw(port, "POST", "/reload", { Host: host, Origin: `http://${host}` });
    expect(same.status).toBe(200);
    expect(await generation(port)).toBe(2);
  }, 30_000);

  test("a Host that is not the listener's own address is refused with 403 (DNS rebinding); loopback names with its port pass", async () => {
    const { port } = await start();
    for (const host of ["evil.example", `evil.example:${port}`, `127.0.0.1:${port + 1}`, "127.0.0.1", `10.0.0.1:${port}`]) {
      const res = await raw(port, "GET", "/status", { Host: host });
      expect([host, res.status]).toEqual([host, 403]);
      expect(res.text).toContain("Host header");
    }
    expect((await raw(port, "POST", "/reload", { Host: `attacker.example:${port}` })).status).toBe(403);
    // Without Host: HTTP/1.1 is refused by Bun's parser (400), HTTP/1.0 by the listener.
    const { c, responses } = await exchange(port, "GET /status HTTP/1.0\r\n\r\n");
    c.end();
    expect(responses[0]!.status).toBe(403);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect([host, (await raw(port, "GET", "/healthz", { Host: host })).status]).toEqual([host, 200]);
    }
    expect(await generation(port)).toBe(1);
  });

  test("status.token: POST /reload needs `Authorization: Bearer <token>` (missing or wrong → 401); GETs on loopback do not", async () => {
    const { port } = await start({ GROCKETD_STATUS_TOKEN: TOKEN });
    const host = `127.0.0.1:${port}`;
    const none = await raw(port, "POST", "/reload", { Host: host });
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="grocketd"');
    for (const auth of [`Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}0`, `Basic ${TOKEN}`, TOKEN]) {
      expect([auth, (await raw(port, "POST", "/reload", { Host: host, Authorization: auth })).status]).toEqual([auth, 401]);
    }
    expect(await generation(port)).toBe(1);
    expect((await raw(port, "GET", "/metrics", { Host: host })).status).toBe(200);
    const ok = await raw(port, "POST", "/reload", { Host: host, Authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await generation(port)).toBe(2);
  }, 30_000);

  test("on a non-loopback address grocketd refuses to start without status.token (and --check says so), naming the keys", async () => {
    for (const args of [["--check"], []]) {
      const r = await runGrocketd([...args, "-m", COUNTED, "--listen", "tcp://127.0.0.1:0"], { env: { GROCKETD_STATUS_LISTEN: "http://0.0.0.0:0" } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/status\.listen = "http:\/\/0\.0\.0\.0:0" is not a loopback address, so status\.token must be set/);
      expect(r.stdout).not.toContain("listening on");
    }
    const short = await runGrocketd(["--check", "-m", COUNTED], { env: { GROCKETD_STATUS_TOKEN: "short" } });
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/GROCKETD_STATUS_TOKEN.*at least 16 visible ASCII characters/);
  });

  test("off loopback every endpoint needs the token; the token is compared whole (tokenMatches)", () => {
    const p = accessPolicy("0.0.0.0", 9100, TOKEN);
    const req = (path: string, headers: Record<string, string>, method = "GET") => new Request(`http://x${path}`, { method, headers });
    for (const path of ["/metrics", "/status", "/healthz", "/readyz"]) {
      expect(refusal(p, req(path, { Host: "localhost:9100" }))?.status).toBe(401);
      expect(refusal(p, req(path, { Host: "localhost:9100", Authorization: `Bearer ${TOKEN}` }))).toBeNull();
    }
    expect(refusal(p, req("/status", { Host: "status.evil.example:9100", Authorization: `Bearer ${TOKEN}` }))?.status).toBe(403);
    const loop = accessPolicy("127.0.0.1", 80, "");
    expect(refusal(loop, req("/reload", { Host: "localhost" }, "POST"))).toBeNull(); // port 80 may be left out
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    for (const bad of ["", TOKEN.slice(0, 16), TOKEN + TOKEN, TOKEN.toUpperCase()]) expect(tokenMatches(bad, TOKEN)).toBe(false);
    expect(tokenMatches("", "")).toBe(false);
  });

  test("/metrics and /status are rendered at most once per 100 ms however many requests arrive (renders counted)", async () => {
    let snapshots = 0;
    class Counting extends StatsRegistry {
      override snapshot() {
        snapshots++;
        return super.snapshot();
      }
    }
    let clock = 1000;
    const config = defaultConfig();
    config.status.listen = "http://127.0.0.1:0";
    const log = createLogger({ level: "silent", format: "text", where: "master" });
    const s = StatusListener.start(config, log, new Counting(), () => clock)!;
    try {
      const port = Number(new URL(s.url).port);
      const burst = (path: string) => Promise.all(Array.from({ length: 100 }, () => fetch(`${s.url}${path}`).then((r) => r.status)));
      expect(new Set(await burst("/metrics"))).toEqual(new Set([200]));
      expect(s.metrics.renders).toBe(1);
      expect(new Set(await burst("/status"))).toEqual(new Set([200]));
      expect(s.status.renders).toBe(1);
      expect(snapshots).toBe(2);
      clock += 99;
      await burst("/metrics");
      expect(s.metrics.renders).toBe(1);
      clock += 1; // 100 ms after the first render: the next request renders again
      await burst("/metrics");
      expect(s.metrics.renders).toBe(2);
      expect(snapshots).toBe(3);
      expect(port).toBeGreaterThan(0);
      // A new generation (a reload answered) or the drain is not a counter: the next request renders it at once,
      // however young the cached text (the clock stands still here).
      const gen = async () => ((await (await fetch(`${s.url}/status`)).json()) as { generation: number; state: string });
      expect((await gen()).generation).toBe(0);
      s.events.ready!(7, 1);
      expect((await gen()).generation).toBe(7);
      s.events.draining!();
      expect((await gen()).state).toBe("draining");
      expect((await (await fetch(`${s.url}/metrics`)).text())).toMatch(/generation\S* 7/);
    } finally {
      s.stop();
    }
  });
});
