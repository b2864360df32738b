// The access log: one line per HTTP request and per TCP connection, in the formats docs/access-log.md documents,
// written while the server runs (and the rest at stop); a writer that cannot keep up drops and counts lines instead
// of blocking; an unwritable path stops the start.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AccessLog } from "../../src/access-log/access-log.ts";
import { escapeField, escapeQuoted, formatRemote, httpLine, tcpLine } from "../../src/access-log/access-log-format.ts";
import { accessLogFormat } from "../../src/access-log/access-log.ts";
import { compileTemplate, NEED_ALL, NEED_REQUEST_ID, NEED_USER_AGENT } from "../../src/config/log-template.ts";
import type { LineSink } from "../../src/access-log/line-sink.ts";
import { createLogger } from "../../src/log/logger.ts";
import { S_ACCESS_DROPPED, S_ACCESS_LINES } from "../../src/stats/stat-fields.ts";
import { runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { kisses } from "../helpers/kiss.ts";
import { connect } from "../helpers/tcp-client.ts";

const COUNTED = resolve(import.meta.dir, "../fixtures/modules/counted.ts");
// Made when a test of this file runs (not at import: a filtered run would leave it behind).
let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "grocketd-access-"));
});
let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

// The documented text format (docs/access-log.md).
const HTTP_TEXT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) http (\S+) "(?:(\S+) (\S+) HTTP\/(\d\.\d)|-)" (\d{3}) (\d+) (\d+\.\d{3}) (\S+) (\d+) (\S+) (\S+) "([^"]*)" "([^"]*)"$/;
const TCP_TEXT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) tcp (\S+) (\d+\.\d{3}) (\d+) (\d+) (\d+) (\S+) (\d+) ([a-z_]+)$/;

async function fileWhen(path: string, ok: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch {
      // not created yet
    }
    if (ok(text) || performance.now() > end) return text;
    await Bun.sleep(25);
  }
}

/** Drives the traffic every process test logs: 3 HTTP requests, a refused one, a binary POST, one TCP session. */
async function traffic(tcp: number, http: number): Promise<void> {
  const close = { headers: { Connection: "close" } };
  await fetch(`http://127.0.0.1:${http}/a?x=1`, { headers: { Connection: "close", "User-Agent": 'agent "one" 1.0', Referer: "http://ref.example/p", "X-Request-Id": "given-id-1" } }).then((r) => r.text());
  await fetch(`http://127.0.0.1:${http}/fail`, close).then((r) => r.text());
  await fetch(`http://127.0.0.1:${http}/binary`, { method: "POST", body: kisses(1, 2), ...close }).then((r) => r.arrayBuffer());
  const bad = await connect(http);
  bad.write("GET / HTTP/1.1\r\n\r\n"); // no Host: 400, refused by the server
  await bad.closed;
  const c = await connect(tcp);
  c.write(kisses(1, 3));
  await c.waitBytes(3 * 44, 5000);
  c.end();
  await c.closed;
}

describe("access log", () => {
  test("text: a line per HTTP request and per TCP connection, written while running", async () => {
    const path = join(dir, "text.log");
    running = await startGrocketd(["-m", COUNTED, "--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0?binary=/binary", "--threads", "2"], {
      env: { GROCKETD_ACCESS_LOG_PATH: path },
      expectListening: 2,
    });
    await traffic(running.ports[0]!, running.ports[1]!);
    // Written by the periodic flush, before any stop.
    const text = await fileWhen(path, (t) => t.split("\n").length > 5);
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(5);
    const http = lines.filter((l) => l.includes(" http ")).map((l) => HTTP_TEXT.exec(l));
    expect(http.every((m) => m !== null)).toBe(true);
    const byTarget = new Map(http.map((m) => [m![4] ?? "-", m!]));
    const a = byTarget.get("/a?x=1")!;
    expect([a[2]!.startsWith("127.0.0.1:"), a[3], a[5], a[6], a[7], a[9]]).toEqual([true, "GET", "1.1", "200", "5", "counted"]);
    expect(["0", "1"]).toContain(a[10]!);
    expect(Math.abs(Date.parse(a[1]!) - Date.now())).toBeLessThan(60_000);
    // host, request id (taken from X-Request-Id), referer and user agent (quoted, the quote escaped, spaces kept).
    expect([a[11], a[12], a[13], a[14]]).toEqual([`127.0.0.1:${running.ports[1]}`, "given-id-1", "http://ref.example/p", "agent \\x22one\\x22 1.0"]);
    // Without X-Request-Id one is made: unique per request.
    const fail = byTarget.get("/fail")!;
    expect(fail[12]).toMatch(/^[0-9a-f]{16}-[0-9a-f]+$/);
    expect(byTarget.get("/binary")![12]).toMatch(/^[0-9a-f]{16}-[0-9a-f]+$/);
    expect(byTarget.get("/binary")![12]).not.toBe(fail[12]);
    expect(byTarget.get("-")![11]).toBe("-");
    expect(byTarget.get("/fail")![6]).toBe("500");
    const bin = byTarget.get("/binary")!;
    expect([bin[3], bin[6], bin[7]]).toEqual(["POST", "200", "88"]);
    const refused = byTarget.get("-")!;
    expect([refused[6], refused[9]]).toEqual(["400", "counted"]);
    const tcp = lines.filter((l) => l.includes(" tcp ")).map((l) => TCP_TEXT.exec(l));
    expect(tcp).toHaveLength(1);
    const t = tcp[0]!;
    expect([t[4], t[5], t[6], t[7], t[9]]).toEqual(["3", "132", "132", "counted", "peer"]);
    expect(Number(t[3])).toBeGreaterThanOrEqual(0);
    expect(await running.stop("SIGTERM")).toBe(0);
  });

  test("json: the same lines as JSON objects with fixed keys; the last ones are written at stop", async () => {
    const path = join(dir, "json.log");
    running = await startGrocketd(["-m", COUNTED, "--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0?binary=/binary", "--threads", "1"], {
      env: { GROCKETD_ACCESS_LOG_PATH: path, GROCKETD_ACCESS_LOG_FORMAT: "json", GROCKETD_ACCESS_LOG_FLUSH_MS: "60000" },
      expectListening: 2,
    });
    await traffic(running.ports[0]!, running.ports[1]!);
    // The client's socket reports closed as soon as its own FIN is out; give the server time to see that FIN, or a
    // busy machine stops it first and the TCP line says "draining" instead of "peer".
    await Bun.sleep(300);
    expect(await running.stop("SIGTERM")).toBe(0); // flush_ms is a minute: only the stop writes them
    const lines = readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    const a = lines.find((l) => l.target === "/a?x=1");
    expect(Object.keys(a)).toEqual([
      "time", "kind", "remote", "method", "target", "version", "status", "bytes_out", "duration_ms", "module", "thread", "host", "user_agent", "referer", "request_id",
    ]);
    expect(a).toMatchObject({
      kind: "http", method: "GET", version: "1.1", status: 200, bytes_out: 5, module: "counted", thread: 0,
      user_agent: 'agent "one" 1.0', referer: "http://ref.example/p", request_id: "given-id-1",
    });
    expect(a.host).toBe(`127.0.0.1:${running.ports[1]}`);
    const t = lines.find((l) => l.kind === "tcp");
    expect(Object.keys(t)).toEqual(["time", "kind", "remote", "duration_ms", "packets", "bytes_in", "bytes_out", "module", "thread", "reason"]);
    expect(t).toMatchObject({ packets: 3, bytes_in: 132, bytes_out: 132, module: "counted", thread: 0, reason: "peer" });
  });

  test("a template format: the variables it names, nginx names too; an unknown variable stops the start with the key", async () => {
    const path = join(dir, "template.log");
    running = await startGrocketd(["-m", COUNTED, "--listen", "http://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_ACCESS_LOG_PATH: path, GROCKETD_ACCESS_LOG_FORMAT: '$remote_addr "$request" $status $body_bytes_sent "$http_user_agent" id=$request_id $request_time' },
      expectListening: 1,
    });
    await fetch(`http://127.0.0.1:${running.ports[0]}/t`, { headers: { Connection: "close", "User-Agent": "tpl/1", "X-Request-Id": "bad id with spaces" } }).then((r) => r.text());
    expect(await running.stop("SIGTERM")).toBe(0);
    const line = readFileSync(path, "utf8").trimEnd();
    // An X-Request-Id that is not 1-128 visible characters is replaced by one made here.
    expect(line).toMatch(/^127\.0\.0\.1 "GET \/t HTTP\/1\.1" 200 5 "tpl\/1" id=[0-9a-f]{16}-[0-9a-f]+ \d+\.\d{3}$/);
    const bad = await runGrocketd(["-m", COUNTED, "--listen", "http://127.0.0.1:0", "--check"], { env: { GROCKETD_ACCESS_LOG_FORMAT: "$status $nope" } });
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain('access_log.format = "$status $nope": unknown variable $nope');
  });

  test("an access log that cannot be opened stops the start and says why", async () => {
    const r = await runGrocketd(["-m", COUNTED, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_ACCESS_LOG_PATH: join(dir, "no-such-dir", "x.log") },
    });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/access_log\.path: cannot open .*no-such-dir/);
  });
});

describe("access log writer", () => {
  const log = createLogger({ level: "silent", format: "text", where: "test" });
  const entry = { remoteAddress: "10.0.0.1", remotePort: 5, durationMs: 1, packets: 1, bytesIn: 2, bytesOut: 3, module: "m", thread: 0, reason: "peer" };

  test("a writer that cannot keep up: lines past buffer_bytes are dropped and counted; nothing blocks; close gives up", async () => {
    let writes = 0;
    const stalled: LineSink = { where: "stalled", write: () => (writes++, new Promise(() => {})), close: async () => {} };
    const stats = new Float64Array(32);
    const al = new AccessLog(stalled, { format: "text", bufferBytes: 4096, flushMs: 10 }, stats, log);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) al.tcp(entry);
    expect(performance.now() - t0).toBeLessThan(200);
    await Bun.sleep(30);
    expect(writes).toBe(1); // one write in flight at a time
    expect(stats[S_ACCESS_LINES]! + stats[S_ACCESS_DROPPED]!).toBe(1000);
    expect(stats[S_ACCESS_DROPPED]!).toBeGreaterThan(900);
    const c0 = performance.now();
    await al.close(100);
    expect(performance.now() - c0).toBeLessThan(1000);
  });

  test("batches are written in order, one write at a time; a failed write drops (and counts) its lines", async () => {
    const got: string[] = [];
    let fail = true;
    const sink: LineSink = {
      where: "mem",
      write: async (t) => {
        await Bun.sleep(1);
        if (fail) {
          fail = false;
          throw new Error("disk full");
        }
        got.push(t);
      },
      close: async () => {},
    };
    const stats = new Float64Array(32);
    const al = new AccessLog(sink, { format: "text", bufferBytes: 1 << 20, flushMs: 5 }, stats, log);
    al.tcp({ ...entry, packets: 0 });
    await Bun.sleep(30); // the first batch fails
    for (let i = 1; i <= 50; i++) al.tcp({ ...entry, packets: i });
    await al.close();
    const packets = got.join("").trimEnd().split("\n").map((l) => Number(TCP_TEXT.exec(l)![4]));
    expect(packets).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(stats[S_ACCESS_DROPPED]).toBe(1);
    expect(stats[S_ACCESS_LINES]).toBe(51);
  });

  test("formats: escaping keeps one request per line; IPv6 remotes are bracketed", () => {
    expect(escapeField('/a b"c\\d\x01é')).toBe("/a\\x20b\\x22c\\x5cd\\x01\\xe9");
    expect(formatRemote("::1", 80)).toBe("[::1]:80");
    expect(formatRemote("", 0)).toBe("-");
    const h = {
      remoteAddress: "127.0.0.1", remotePort: 1, method: "GET", target: '/"x"', version: "1.1", status: 200, bytesOut: 0, durationMs: 0.1234, module: "m", thread: 1,
      host: "example.com", userAgent: 'curl/8 (x "y")', referer: "-", requestId: "abc-1",
    };
    expect(httpLine("text", "T", h)).toBe('T http 127.0.0.1:1 "GET /\\x22x\\x22 HTTP/1.1" 200 0 0.123 m 1 example.com abc-1 "-" "curl/8 (x \\x22y\\x22)"\n');
    expect(HTTP_TEXT.test(httpLine("text", "T", h).trimEnd().replace(/^T/, "2025-01-01T12:00:00.123Z"))).toBe(true);
    expect(JSON.parse(httpLine("json", "T", h))).toMatchObject({ target: '/"x"', duration_ms: 0.123, host: "example.com", user_agent: 'curl/8 (x "y")', referer: "-", request_id: "abc-1" });
    expect(tcpLine("text", "T", entry)).toBe("T tcp 10.0.0.1:5 1.000 1 2 3 m 0 peer\n");
    expect(escapeQuoted('a b"\\')).toBe("a b\\x22\\x5c");
  });

  test("templates: nginx-style $variables and ${braces}, $$ for a dollar, the other kind's variables as -", () => {
    const h = {
      remoteAddress: "::1", remotePort: 7, method: "POST", target: "/p?q=1", version: "1.0", status: 201, bytesOut: 12, durationMs: 1234.6, module: "m", thread: 2,
      host: "h:8080", userAgent: "ua 1", referer: "http://r/", requestId: "rid",
    };
    const nginx = accessLogFormat('$remote_addr - - [$time_iso8601] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $request_id');
    expect(httpLine(nginx, "T", h)).toBe('::1 - - [T] "POST /p?q=1 HTTP/1.0" 201 12 "http://r/" "ua 1" 1.235 rid\n');
    const mine = accessLogFormat("${kind}:${method}$$ $host $remote $remote_port $duration_ms $module/$thread $packets $reason");
    expect(httpLine(mine, "T", h)).toBe("http:POST$ h:8080 [::1]:7 7 1234.600 m/2 - -\n");
    expect(tcpLine(mine, "T", entry)).toBe("tcp:-$ - 10.0.0.1:5 5 1.000 m/0 1 peer\n");
    // What the line needs from the request, so the connection looks up only those headers.
    const t = compileTemplate("$status $http_user_agent $request_id");
    expect(typeof t !== "string" && t.needs).toBe(NEED_USER_AGENT | NEED_REQUEST_ID);
    const plain = compileTemplate("$status");
    expect(typeof plain !== "string" && plain.needs).toBe(0);
    expect(NEED_ALL).toBe(15);
    // Mistakes are named.
    expect(compileTemplate("$status $nope")).toMatch(/^unknown variable \$nope \(known: \$time, /);
    expect(compileTemplate("${status")).toMatch(/unclosed/);
    expect(compileTemplate("cost: $5")).toMatch(/"\$" without a variable name at character 7/);
  });
});
