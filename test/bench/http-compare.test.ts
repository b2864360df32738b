// Tests for the HTTP benchmark (bench/http-compare.ts, bench/lib/http-*.ts, bench/servers/*): parsing captured wrk
// output, the raw-response check, the generated nginx config, ratios and medians, and one short smoke run.

import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkHello, helloProblem, parseResponses } from "../../bench/lib/http-check.ts";
import { aggregateHttp, roundRatios, targetFor } from "../../bench/lib/http-report.ts";
import { type HttpRunRecord, MODES, perCpuSecond } from "../../bench/lib/http-runs.ts";
import { defaultUwsPath, expandCommand, findUws, parseOnly, setupServers } from "../../bench/lib/http-servers.ts";
import { PIPELINE_LUA, parseWrkBytes, parseWrkOutput, parseWrkTime, wrkCommand } from "../../bench/lib/http-wrk.ts";
import { findNginx, nginxConfig } from "../../bench/servers/nginx-hello.ts";

const repo = resolve(import.meta.dir, "../..");

// Captured from wrk 4.1 (Debian) on loopback.
const PLAIN = `Running 1s test @ http://127.0.0.1:39447/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   455.63us  815.85us   7.96ms   92.12%
    Req/Sec    27.57k     4.37k   32.32k    63.64%
  30221 requests in 1.11s, 3.50MB read
Requests/sec:  27302.84
Transfer/sec:      3.16MB
`;

const WITH_LATENCY = `Running 2s test @ http://127.0.0.1:35523/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.00ms   26.57ms 156.16ms   89.93%
    Req/Sec    18.87k    12.40k   37.52k    61.11%
  Latency Distribution
     50%    1.61ms
     75%    6.23ms
     90%   38.94ms
     99%  137.19ms
  35791 requests in 2.09s, 4.54MB read
Requests/sec:  17146.56
Transfer/sec:      2.17MB
`;

const WITH_ERRORS = `Running 1s test @ http://127.0.0.1:35787/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   214.05us  221.45us   3.57ms   96.40%
    Req/Sec    15.52k     2.71k   21.30k    72.73%
  Latency Distribution
     50%  178.00us
     75%  242.00us
     90%  321.00us
     99%    1.19ms
  16999 requests in 1.10s, 0.96MB read
  Socket errors: connect 0, read 8499, write 0, timeout 0
  Non-2xx or 3xx responses: 16999
Requests/sec:  15437.09
Transfer/sec:      0.87MB
`;

const PIPELINED = `Running 1s test @ http://127.0.0.1:32895/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.57ms    4.80ms  38.54ms   62.90%
    Req/Sec    68.29k     6.86k   84.45k    90.00%
  Latency Distribution
     50%    8.42ms
     75%   12.26ms
     90%   15.55ms
     99%    0.00us
  67889 requests in 1.00s, 7.45MB read
Requests/sec:  67732.27
Transfer/sec:      7.43MB
`;

describe("wrk output", () => {
  test("units", () => {
    expect(parseWrkTime("455.63us")).toBeCloseTo(455.63);
    expect(parseWrkTime("7.96ms")).toBeCloseTo(7960);
    expect(parseWrkTime("2.09s")).toBeCloseTo(2.09e6);
    expect(parseWrkTime("1.50m")).toBeCloseTo(90e6);
    expect(parseWrkBytes("3.50MB")).toBeCloseTo(3.5 * 1024 * 1024);
    expect(parseWrkBytes("0.00B")).toBe(0);
    expect(() => parseWrkTime("fast")).toThrow(/not a time/);
  });

  test("plain, without --latency", () => {
    const r = parseWrkOutput(PLAIN);
    expect(r).toMatchObject({ threads: 1, connections: 8, requests: 30221, reqPerSec: 27302.84, non2xx: 0, socketErrorsTotal: 0 });
    expect(r.durationSec).toBeCloseTo(1.11);
    expect(r.latency.avgUs).toBeCloseTo(455.63);
    expect(r.latency.maxUs).toBeCloseTo(7960);
    expect(r.latency.p50Us).toBeNull();
    expect(r.latency.p99Us).toBeNull();
  });

  test("with --latency: the distribution", () => {
    const r = parseWrkOutput(WITH_LATENCY);
    expect(r.requests).toBe(35791);
    expect(r.connections).toBe(64);
    expect(r.latency.p50Us).toBeCloseTo(1610);
    expect(r.latency.p75Us).toBeCloseTo(6230);
    expect(r.latency.p90Us).toBeCloseTo(38940);
    expect(r.latency.p99Us).toBeCloseTo(137190);
    expect(r.transferPerSec).toBeCloseTo(2.17 * 1024 * 1024);
  });

  test("Non-2xx and Socket errors lines", () => {
    const r = parseWrkOutput(WITH_ERRORS);
    expect(r.non2xx).toBe(16999);
    expect(r.socketErrors).toEqual({ connect: 0, read: 8499, write: 0, timeout: 0 });
    expect(r.socketErrorsTotal).toBe(8499);
    expect(r.latency.p99Us).toBeCloseTo(1190);
  });

  test("pipelined: a 0.00us percentile is unknown, not zero", () => {
    const r = parseWrkOutput(PIPELINED);
    expect(r.requests).toBe(67889);
    expect(r.latency.p90Us).toBeCloseTo(15550);
    expect(r.latency.p99Us).toBeNull();
  });

  test("a report without its totals is an error", () => {
    expect(() => parseWrkOutput("unable to connect to 127.0.0.1:1 Connection refused\n")).toThrow(/no threads and connections/);
  });

  test("command lines: plain and pipelined", () => {
    const base = { url: "http://127.0.0.1:8080/", threads: 1, connections: 64, durationSec: 4 };
    expect(wrkCommand({ ...base, depth: 1 })).toEqual(["wrk", "-t1", "-c64", "-d4s", "--timeout", "2s", "--latency", base.url]);
    const p = wrkCommand({ ...base, depth: 16, prefix: ["taskset", "-c", "0"] });
    expect(p.slice(0, 4)).toEqual(["taskset", "-c", "0", "wrk"]);
    expect(p.slice(-5)).toEqual(["-s", PIPELINE_LUA, base.url, "--", "16"]);
  });
});

describe("raw response check", () => {
  const hello = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

  test("cuts pipelined responses and keeps an incomplete tail", () => {
    const bytes = Buffer.from(hello + hello + hello.slice(0, 20), "latin1");
    const { responses, rest } = parseResponses(bytes);
    expect(responses.length).toBe(2);
    expect(rest).toBe(20);
    expect(responses[0]!.headers["content-length"]).toBe("13");
    expect(responses.map((r) => helloProblem(r))).toEqual([null, null]);
  });

  test("names what is wrong", () => {
    const parse = (s: string) => parseResponses(Buffer.from(s, "latin1")).responses[0]!;
    expect(helloProblem(parse(hello.replace("200 OK", "404 Not Found")))).toMatch(/status 404/);
    expect(helloProblem(parse(hello.replace("Hello, World!", "Hello, World?")))).toMatch(/body/);
    expect(helloProblem(parse(hello.replace("text/plain", "text/html")))).toMatch(/Content-Type/);
    expect(helloProblem(parse(hello.replace("text/plain", "text/plain; charset=utf-8")))).toBeNull();
    expect(() => parseResponses(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))).toThrow(/chunked/);
  });
});

describe("nginx config", () => {
  const conf = nginxConfig({ prefix: "/tmp/x", port: 18080 });

  test("has the TechEmpower settings with one worker, everything inside the prefix", () => {
    for (const line of [
      "daemon off;",
      "master_process on;",
      "worker_processes 1;",
      "pid /tmp/x/nginx.pid;",
      "error_log /tmp/x/error.log warn;",
      "worker_connections 4096;",
      "access_log off;",
      "keepalive_requests 300000;",
      "listen 127.0.0.1:18080 reuseport;",
      "default_type text/plain;",
      'return 200 "Hello, World!";',
      "client_body_temp_path /tmp/x/client_body_temp;",
    ]) {
      expect(conf).toContain(line);
    }
    expect(nginxConfig({ prefix: "/p", port: 1, tempPaths: ["client_body"] })).not.toContain("uwsgi");
  });

  test.skipIf(!findNginx())("passes nginx -t", () => {
    const dir = mkdtempSync(join(tmpdir(), "grocketd-test-nginx-"));
    try {
      const names = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"];
      for (const t of names) mkdirSync(join(dir, `${t}_temp`));
      writeFileSync(join(dir, "nginx.conf"), nginxConfig({ prefix: dir, port: 1, tempPaths: names }));
      const r = Bun.spawnSync([findNginx()!, "-t", "-p", dir, "-c", join(dir, "nginx.conf")]);
      expect(r.stderr.toString()).toContain("test is successful");
      expect(r.exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function rec(server: string, depth: number, round: number, reqPerSec: number, reqPerCpuSec: number): HttpRunRecord {
  return {
    server, mode: depth === 1 ? "plain" : "pipelined ×16", depth, round, requests: reqPerSec * 4, durationSec: 4, reqPerSec,
    serverCpuSec: (reqPerSec * 4) / reqPerCpuSec, serverUserSec: 1, serverSysSec: 1, reqPerCpuSec, serverCpuShare: 1,
    clientCpuShare: 0.5, latencyP50Us: 100, latencyP99Us: null, non2xx: 0, socketErrors: 0, socketErrorDetail: "", head: "", wrkCommand: "",
  };
}

describe("ratios and medians", () => {
  const records = [
    rec("nginx", 1, 1, 100, 100), rec("grocketd", 1, 1, 120, 110), rec("bun", 1, 1, 80, 50),
    rec("nginx", 1, 2, 100, 200), rec("grocketd", 1, 2, 100, 180), rec("bun", 1, 2, 90, 90),
    rec("nginx", 1, 3, 50, 100), rec("grocketd", 1, 3, 100, 100), rec("bun", 1, 3, 100, 100),
    rec("nginx", 16, 1, 100, 100), rec("grocketd", 16, 1, 1000, 900),
    rec("nginx", 16, 2, 100, 100), rec("grocketd", 16, 2, 800, 700),
  ];

  test("per-round ratios pair the same round and depth", () => {
    expect(roundRatios(records, "grocketd", "nginx", "reqPerCpuSec")).toEqual([1.1, 0.9, 1, 9, 7]);
    expect(roundRatios(records, "grocketd", "nginx", "reqPerSec")).toEqual([1.2, 1, 2, 10, 8]);
    expect(perCpuSecond(1000, 0.5)).toBe(2000);
    expect(perCpuSecond(1000, 0)).toBe(0);
  });

  test("aggregate: spreads, ratios against nginx and Bun.serve, targets", () => {
    const [plain, piped] = aggregateHttp(records, MODES);
    const g = plain!.servers.find((s) => s.server === "grocketd")!;
    expect(g.reqPerSec).toEqual({ median: 100, min: 100, max: 120, n: 3 });
    expect(g.latencyP99Us).toBeNull();
    const vsNginx = plain!.ratios.find((r) => r.anchor === "nginx")!;
    expect(vsNginx.perCpu!.median).toBeCloseTo(1.0);
    expect(vsNginx.perCpu!.min).toBeCloseTo(0.9);
    expect(vsNginx.perCpu!.max).toBeCloseTo(1.1);
    expect(plain!.ratios.find((r) => r.anchor === "bun")!.perCpu!.median).toBeCloseTo(2);
    expect(plain!.target).toMatchObject({ target: 1, met: true });
    expect(piped!.ratios.map((r) => r.anchor)).toEqual(["nginx"]);
    expect(piped!.target.ratio).toBeCloseTo(8);
    expect(piped!.target.met).toBe(true);
    expect(targetFor(1)).toBe(1);
    expect(targetFor(16)).toBe(8);
  });

  test("no nginx: the target is not evaluated", () => {
    const [plain] = aggregateHttp(records.filter((r) => r.server !== "nginx"), MODES);
    expect(plain!.target.met).toBeNull();
  });
});

describe("fetch hook column", () => {
  test("the fetch hook is compared with the http hook and with Bun.serve, round by round", () => {
    const records = [1, 2, 3].flatMap((round) => [
      rec("grocketd", 1, round, 100, 1000),
      rec("grocketd-fetch", 1, round, 60, 600 + round * 10),
      rec("bun", 1, round, 80, 800),
    ]);
    const [plain] = aggregateHttp(records, MODES);
    const pair = (s: string, a: string) => plain!.ratios.find((r) => r.subject === s && r.anchor === a)!;
    expect(plain!.ratios.map((r) => `${r.subject}/${r.anchor}`)).toEqual(["grocketd/bun", "grocketd-fetch/grocketd", "grocketd-fetch/bun"]);
    expect(pair("grocketd-fetch", "grocketd").perCpu!.median).toBeCloseTo(0.62);
    expect(pair("grocketd-fetch", "grocketd").perCpu!.min).toBeCloseTo(0.61);
    expect(pair("grocketd-fetch", "bun").reqPerSec!.median).toBeCloseTo(0.75);
    // The target stays grocketd (http hook) against nginx: not evaluated without nginx.
    expect(plain!.target.met).toBeNull();
  });
});

describe("servers", () => {
  test("--only and command templates", () => {
    expect(parseOnly(undefined)).toEqual(["grocketd", "grocketd-fetch", "bun", "bare-bun", "nginx", "uws"]);
    expect(parseOnly("grocketd-fetch,bun")).toEqual(["grocketd-fetch", "bun"]);
    expect(parseOnly("bun,grocketd,bun")).toEqual(["bun", "grocketd"]);
    expect(() => parseOnly("apache")).toThrow(/unknown server apache/);
    expect(expandCommand("{bun} src/grocketd.ts --listen http://127.0.0.1:{port}", "/b")).toEqual([
      "/b", "src/grocketd.ts", "--listen", "http://127.0.0.1:0",
    ]);
  });
});

describe("uWebSockets anchor column", () => {
  test("absent: left out with a note naming the path, from --uws or <repo>/../shared/anchors/uws-hello", () => {
    const dir = mkdtempSync(join(tmpdir(), "grocketd-test-uws-"));
    try {
      const repoInTmp = join(dir, "repo");
      expect(defaultUwsPath(repoInTmp)).toBe(join(dir, "shared/anchors/uws-hello"));
      const byDefault = setupServers({ only: ["bun", "uws"], repo: repoInTmp });
      expect(byDefault.specs.map((s) => s.name)).toEqual(["bun"]);
      expect(byDefault.notes).toEqual([expect.stringContaining(`skipped uws: the uWebSockets anchor ${join(dir, "shared/anchors/uws-hello")} is not there`)]);
      // Present but not executable counts as absent too.
      const plain = join(dir, "uws-hello");
      writeFileSync(plain, "not a program");
      expect(findUws(plain)).toBeNull();
      const explicit = setupServers({ only: ["uws"], repo, uwsBin: plain });
      expect(explicit.specs).toEqual([]);
      expect(explicit.notes[0]).toContain(plain);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ratios grocketd/uWebSockets per round", () => {
    const records = [1, 2, 3].flatMap((round) => [rec("grocketd", 1, round, 100, 900 + round * 50), rec("uws", 1, round, 100, 1000)]);
    const [plain] = aggregateHttp(records, MODES);
    const vsUws = plain!.ratios.find((r) => r.subject === "grocketd" && r.anchor === "uws")!;
    expect(vsUws.perCpu!.median).toBeCloseTo(1.0);
    expect(vsUws.perCpu!.min).toBeCloseTo(0.95);
    expect(vsUws.perCpu!.max).toBeCloseTo(1.05);
  });
});

test("ratios grocketd/bare Bun.listen and bare Bun.listen/uWebSockets per round: the floor of a Bun.listen server", () => {
  const records = [1, 2, 3].flatMap((round) => [
    rec("grocketd", 1, round, 100, 800),
    rec("bare-bun", 1, round, 100, 1000),
    rec("uws", 1, round, 100, 1000 + round * 50),
  ]);
  const [plain] = aggregateHttp(records, MODES);
  const find = (s: string, a: string) => plain!.ratios.find((r) => r.subject === s && r.anchor === a)!;
  expect(find("grocketd", "bare-bun").perCpu!.median).toBeCloseTo(0.8);
  expect(find("bare-bun", "uws").perCpu!.max).toBeCloseTo(1000 / 1050);
  expect(find("bare-bun", "uws").perCpu!.min).toBeCloseTo(1000 / 1150);
});

test("the bare-bun responder answers each request, pipelined and split across reads, with a hello and a Content-Type", async () => {
  const proc = Bun.spawn([process.execPath, "bench/servers/bare-http-responder.ts", "--port", "0"], { cwd: repo, stdout: "pipe", stderr: "pipe" });
  try {
    const reader = proc.stdout.getReader();
    let line = "";
    while (!/listening on http:\/\/127\.0\.0\.1:\d+/.test(line)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`bare responder exited: ${line}`);
      line += new TextDecoder().decode(value);
    }
    const port = Number(/:(\d+)\s*$/.exec(line.trim())![1]);
    const got = await checkHello(port, 16, 3000, true, false);
    expect(got.length).toBe(16);
    // Three requests (27 bytes each) in pieces, two of them cutting a blank line: three answers, no more.
    let text = "";
    const sock = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data(_s, d) { text += d.toString("latin1"); } } });
    const req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(3);
    let prev = 0;
    for (const cut of [10, 25, 26, 52, 53, req.length]) {
      sock.write(req.slice(prev, cut));
      prev = cut;
      await Bun.sleep(20);
    }
    for (let i = 0; i < 100 && (text.match(/Hello, World!/g) ?? []).length < 3; i++) await Bun.sleep(10);
    await Bun.sleep(50);
    expect((text.match(/HTTP\/1\.1 200 OK\r\n/g) ?? []).length).toBe(3);
    expect(parseResponses(Buffer.from(text, "latin1")).responses.map((r) => r.body)).toEqual(["Hello, World!", "Hello, World!", "Hello, World!"]);
    sock.end();
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
});

test.skipIf(!Bun.which("wrk"))(
  "smoke: the uws column runs whatever --uws names (here a stand-in answering without Content-Type, not the anchor)",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "grocketd-test-uws-"));
    try {
      // Stand-in with the anchor's interface: `PROG PORT`, prints "listening PORT", "Hello, World!" without a
      // Content-Type, as uws-hello answers.
      const standIn = join(dir, "stand-in.ts");
      writeFileSync(
        standIn,
        `const port = Number(process.argv[2]);
const body = "HTTP/1.1 200 OK\\r\\nContent-Length: 13\\r\\n\\r\\nHello, World!";
Bun.listen({ hostname: "127.0.0.1", port, socket: { data(s, d) {
  const n = d.toString("latin1").split("\\r\\n\\r\\n").length - 1;
  s.write(body.repeat(n));
} } });
process.on("SIGTERM", () => process.exit(0));
console.log("listening " + port);
`,
      );
      const bin = join(dir, "uws-hello");
      writeFileSync(bin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(standIn)} "$1"\n`, { mode: 0o755 });
      const proc = Bun.spawn(
        [process.execPath, "bench/http-compare.ts", "--only", "uws", "--uws", bin, "--rounds", "1", "--duration", "1", "--idle", "0", "--json"],
        { cwd: repo, stdout: "pipe", stderr: "pipe" },
      );
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      expect(code, err).toBe(0);
      const doc = JSON.parse(out);
      expect(doc.records.map((r: HttpRunRecord) => `${r.server} ${r.depth}`)).toEqual(["uws 1", "uws 16"]);
      expect(doc.config.servers[0].describe).toContain(bin);
      expect(err).toContain("uWebSockets");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  20_000,
);

test.skipIf(!Bun.which("wrk"))(
  "smoke: one 1 s round against Bun.serve, plain and pipelined",
  async () => {
    const proc = Bun.spawn(
      [process.execPath, "bench/http-compare.ts", "--only", "bun", "--rounds", "1", "--duration", "1", "--idle", "0", "--json"],
      { cwd: repo, stdout: "pipe", stderr: "pipe" },
    );
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code, err).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.ok).toBe(true);
    expect(doc.records.map((r: HttpRunRecord) => r.depth)).toEqual([1, 16]);
    for (const r of doc.records as HttpRunRecord[]) {
      expect(r.requests).toBeGreaterThan(0);
      expect(r.non2xx).toBe(0);
      expect(r.head).toContain("HTTP/1.1 200");
    }
    expect(err).toContain("response head of bun");
  },
  15_000,
);
