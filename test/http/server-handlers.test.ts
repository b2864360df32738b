// The http hook: return values and res, errors (500 on that request only), async handlers with pipelining,
// streamed responses to a slow reader, binary over HTTP with the module's check/proc.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule, staticResponse } from "../../src/index.ts";
import type { HttpConnection } from "../../src/http/http-connection.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { connect } from "../helpers/tcp-client.ts";
import { exchange, waitResponses } from "../helpers/http-client.ts";
import { parseResponses } from "../helpers/http-messages.ts";
import { kisses, KISS_SIZE } from "../helpers/kiss.ts";
import { until } from "../helpers/until.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

function http(def: Parameters<typeof defineModule>[0], httpCfg = {}, io = {}, query = "") {
  server = startInProcess(defineModule(def), io, { protocol: "http", http: httpCfg, query });
  return server.port;
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`;

describe("http hook", () => {
  test("a returned string is a 200 text/plain response; bytes are octet-stream; staticResponse is sent as built", async () => {
    const fixed = staticResponse("fixed!", { status: 201, headers: { "X-Fixed": "1", "Content-Type": "text/x-fixed" } });
    const port = http({
      name: "ret",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http: (req) => (req.path === "/s" ? "héllo" : req.path === "/b" ? new Uint8Array([1, 2, 3]) : fixed),
    });
    const { c, responses } = await exchange(port, GET("/s") + GET("/b") + GET("/f"), 3);
    expect(responses[0]).toMatchObject({ status: 200, text: "héllo" });
    expect(responses[0]!.headers).toMatchObject({ "content-type": "text/plain; charset=utf-8", "content-length": "6", server: "grocketd" });
    expect(responses[0]!.headers.date).toMatch(/^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
    expect(responses[1]!.headers["content-type"]).toBe("application/octet-stream");
    expect([...responses[1]!.body]).toEqual([1, 2, 3]);
    expect(responses[2]).toMatchObject({ status: 201, text: "fixed!" });
    expect(responses[2]!.headers).toMatchObject({ "x-fixed": "1", "content-type": "text/x-fixed" });
    c.end();
  });

  test("RFC 9110 §15.3.5, §5.5: res.status/header/send; 204 has no body; header injection is refused", async () => {
    let injection = "";
    const port = http({
      name: "res",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http(req, res) {
        if (req.path === "/204") return res.status(204).send();
        try {
          res.header("X-Bad", "a\r\nSet-Cookie: evil=1");
        } catch (e) {
          injection = (e as Error).message;
        }
        res.status(404).header("X-Reason", "nothing here").send("missing");
      },
    });
    const { c, responses } = await exchange(port, GET("/204") + GET("/x"), 2);
    expect(responses[0]!.status).toBe(204);
    expect(responses[0]!.headers["content-length"]).toBeUndefined();
    expect(responses[1]).toMatchObject({ status: 404, reason: "Not Found", text: "missing" });
    expect(responses[1]!.headers["x-reason"]).toBe("nothing here");
    expect(responses[1]!.headers["set-cookie"]).toBeUndefined();
    expect(injection).toContain("RFC 9110 §5.5");
    c.end();
  });

  test("status lines carry node:http's reason phrases (418 was \"Unknown\"); a code it does not know is \"Unknown\"", async () => {
    const port = http({
      name: "reasons",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http: (req, res) => res.status(Number(req.path.slice(1))).send("x"),
    });
    const { c, responses } = await exchange(port, GET("/418") + GET("/425") + GET("/507") + GET("/599"), 4);
    expect(responses.map((r) => r.raw.split("\r\n")[0])).toEqual([
      "HTTP/1.1 418 I'm a Teapot",
      "HTTP/1.1 425 Too Early",
      "HTTP/1.1 507 Insufficient Storage",
      "HTTP/1.1 599 Unknown",
    ]);
    c.end();
  });

  test("RFC 9110 §15.3.5, §15.4.5, RFC 9112 §6.1: 204 and 304 carry no Content-Type, no framing and no body, whole or streamed", async () => {
    const port = http({
      name: "no-content",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http(req, res) {
        if (req.path === "/204") return res.status(204).send("dropped");
        if (req.path === "/304") return res.status(304).header("ETag", '"v1"').send(new Uint8Array([1, 2, 3]));
        if (req.path === "/typed") return res.status(204).header("Content-Type", "text/html").send();
        if (req.path === "/stream") {
          res.status(204).write("dropped too");
          return res.end("and this");
        }
        return "after";
      },
    });
    const paths = ["/204", "/304", "/typed", "/stream"];
    const { c, responses } = await exchange(port, paths.map(GET).join("") + GET("/after"), 5);
    // A stray body byte would have broken the parse of the next response; the last one arrives intact.
    expect(responses.map((r) => r.status)).toEqual([204, 304, 204, 204, 200]);
    for (const r of responses.slice(0, 4)) {
      expect(r.headers["content-type"]).toBeUndefined();
      expect(r.headers["content-length"]).toBeUndefined();
      expect(r.headers["transfer-encoding"]).toBeUndefined();
    }
    expect(responses[1]!.headers.etag).toBe('"v1"');
    expect(responses[4]!.text).toBe("after");
    expect(c.isClosed()).toBe(false);
    c.end();
  });

  test("a throwing hook answers 500 for that request only; the connection stays usable", async () => {
    const port = http({
      name: "boom",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http: (req) => {
        if (req.path === "/boom") throw new Error("kaboom");
        return "fine";
      },
    });
    const { c, responses } = await exchange(port, GET("/1") + GET("/boom") + GET("/2"), 3);
    expect(responses.map((r) => r.status)).toEqual([200, 500, 200]);
    expect(c.isClosed()).toBe(false);
    expect(server!.logs.join("\n")).toMatch(/http hook failed; answering 500.*module=boom.*error=kaboom/);
    c.end();
  });

  test("a rejecting async hook answers 500; a hook that answers nothing answers 500 with a reason in the log", async () => {
    const port = http({
      name: "rej",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http: async (req) => {
        await Bun.sleep(5);
        if (req.path === "/rej") throw new Error("async kaboom");
        if (req.path === "/none") return;
        return "fine";
      },
    });
    const { c, responses } = await exchange(port, GET("/rej") + GET("/none") + GET("/ok"), 3);
    expect(responses.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(server!.logs.join("\n")).toMatch(/finished without sending a response/);
    c.end();
  });

  test("RFC 9112 §9.3.2: async handlers with pipelining: responses strictly in request order", async () => {
    const port = http({
      name: "async",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http: async (req) => {
        const n = Number(req.path.slice(1));
        await Bun.sleep((10 - n) * 3);
        return `r${n} ${req.headers.get("x-n")} ${req.text()}`;
      },
    });
    const reqs = Array.from({ length: 10 }, (_, n) => `POST /${n} HTTP/1.1\r\nHost: h\r\nX-N: ${n}\r\nContent-Length: 3\r\n\r\nb${n}x`).join("");
    const { c, responses } = await exchange(port, reqs, 10);
    expect(responses.map((r) => r.text)).toEqual(Array.from({ length: 10 }, (_, n) => `r${n} ${n} b${n}x`));
    c.end();
  });

  test("RFC 9112 §7.1: a streamed (chunked) response to a reader that stops reading keeps server memory bounded", async () => {
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    const total = 400; // 6.4 MiB
    let maxQueued = 0;
    const port = http(
      {
        name: "stream",
        version: "1.0.0",
        grocketd: "^0.1.0",
        http: async (_req, res) => {
          res.header("Content-Type", "application/octet-stream");
          for (let i = 0; i < total; i++) {
            if (!res.write(chunk)) await res.drained();
            for (const c of server!.io.conns) maxQueued = Math.max(maxQueued, (c as HttpConnection).queuedBytes);
          }
          res.end();
        },
      },
      {},
      { high_water: 64 * 1024 },
    );
    const c = await connect(port);
    c.pause();
    c.write(GET("/big"));
    await Bun.sleep(300);
    expect(maxQueued).toBeLessThanOrEqual(64 * 1024 + chunk.length + 64);
    c.resume();
    const got = await waitResponses(c, 1, [], 15_000);
    expect(got[0]!.headers["transfer-encoding"]).toBe("chunked");
    expect(got[0]!.body.length).toBe(total * chunk.length);
    expect(got[0]!.body.every((b) => b === 0x61)).toBe(true);
    c.end();
  });

  test("RFC 9112 §9.3.2: pipelined requests to a client that does not read are answered no faster than it reads", async () => {
    const big = new Uint8Array(128 * 1024).fill(0x62);
    let answered = 0;
    const port = http(
      { name: "big", version: "1.0.0", grocketd: "^0.1.0", http: () => (answered++, big) },
      {},
      { high_water: 64 * 1024 },
    );
    const c = await connect(port);
    c.pause();
    c.write(GET("/b").repeat(64)); // 8 MiB of answers in one read
    await Bun.sleep(300);
    const conn = [...server!.io.conns][0] as HttpConnection;
    expect(conn.queuedBytes).toBeLessThanOrEqual(64 * 1024 + big.length + 512); // high water plus one response
    expect(answered).toBeLessThan(64); // the rest wait unparsed
    c.resume();
    const got = await waitResponses(c, 64, [], 15_000);
    expect(got.map((r) => r.status)).toEqual(Array<number>(64).fill(200));
    expect(got.every((r) => r.body.length === big.length)).toBe(true);
    expect(answered).toBe(64);
    c.end();
  });

  test("a client that reads nothing for io.idle_timeout_ms while a response waits for it is cut (whole or streamed)", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x63);
    let streamEnded = false;
    const port = http(
      {
        name: "stalled",
        version: "1.0.0",
        grocketd: "^0.1.0",
        http: async (req, res) => {
          if (req.path === "/whole") return new Uint8Array(8 * 1024 * 1024);
          try {
            for (let i = 0; i < 1000; i++) if (!res.write(chunk)) await res.drained();
            res.end();
          } finally {
            streamEnded = true;
          }
        },
      },
      { keep_alive_timeout_ms: 100 },
      { high_water: 64 * 1024, idle_timeout_ms: 300 },
    );
    for (const path of ["/whole", "/stream"]) {
      const c = await connect(port);
      c.pause();
      c.write(GET(path));
      const t0 = performance.now();
      await c.closed; // was never: tick() skipped connections with a response in progress
      expect(performance.now() - t0).toBeLessThan(3000);
      expect(server!.io.conns.size).toBe(0);
    }
    for (let i = 0; i < 50 && !streamEnded; i++) await Bun.sleep(10);
    expect(streamEnded).toBe(true); // the streaming hook was released, not parked for ever
  });

  test("http.keep_alive_timeout_ms waits for the response to go out: a client taking a long response, then asking again, is answered", async () => {
    const big = new Uint8Array(8 * 1024 * 1024).fill(0x62); // more than the kernel's socket buffers take unread
    const port = http(
      { name: "long", version: "1.0.0", grocketd: "^0.1.0", http: (req) => (req.path === "/big" ? big : "small") },
      { keep_alive_timeout_ms: 100 },
      { high_water: 64 * 1024, idle_timeout_ms: 60_000 },
    );
    const c = await connect(port);
    c.pause(); // the response waits in the server's queue, far longer than the keep-alive wait
    c.write(GET("/big"));
    const conn = await until(() => [...server!.io.conns][0] as HttpConnection | undefined, "the connection");
    await until(() => conn.queuedBytes > 0, "the response queued");
    await Bun.sleep(600); // six keep-alive waits (a tick may come late on a loaded machine)
    // The keep-alive wait must not have run meanwhile (it would close the connection and this would go unanswered):
    // input is held while the output is past high water, and the wait counts from the last write the kernel took.
    c.write(GET("/small"));
    c.resume();
    const got = await waitResponses(c, 2, [], 15_000);
    expect(got.map((r) => r.status)).toEqual([200, 200]);
    expect(got[0]!.body.length).toBe(big.length);
    expect(got[1]!.text).toBe("small");
    c.end();
  });

  test("RFC 9112 §6.3 (rule 8), §7: HTTP/1.0 streamed responses are close-delimited (no chunked coding in 1.0)", async () => {
    const port = http({
      name: "s10",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http: (_req, res) => {
        res.write("a");
        res.end("b");
      },
    });
    const c = await connect(port);
    c.write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    await c.closed;
    const r = parseResponses(c.received()).responses[0]!;
    expect(r.headers["transfer-encoding"]).toBeUndefined();
    expect(r.headers.connection).toBe("close");
    expect(r.text).toBe("ab");
  });
});

describe("binary over HTTP", () => {
  const echo = { name: "echo", version: "1.0.0", grocketd: "^0.1.0", check: (_b: Uint8Array, s: number, e: number) => (e - s >= KISS_SIZE ? KISS_SIZE : 0), proc: (p: Uint8Array) => p };

  test("a POST body to http.binary_path is framed by check and answered by proc, replies concatenated", async () => {
    const port = http(echo, { binary_path: "/binary" });
    const body = kisses(1, 3);
    const head = `POST /binary HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { c, responses } = await exchange(port, Buffer.concat([Buffer.from(head), body]));
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.headers["content-type"]).toBe("application/octet-stream");
    expect(responses[0]!.body).toEqual(body);
    c.end();
  });

  test("check's result and proc's reply follow the TCP rules: a fractional length is bad data (400), a number as reply is the module's error (500)", async () => {
    const post = (b: string) => Buffer.from(`POST /binary HTTP/1.1\r\nHost: h\r\nContent-Length: ${b.length}\r\n\r\n${b}`);
    const fractional = http({ ...echo, check: () => 1.5 }, { binary_path: "/binary" });
    const a = await exchange(fractional, post("abc")); // 1.5 + 1.5 = 3: the old loop cut it between bytes and answered 200
    expect(a.responses[0]!.status).toBe(400);
    a.c.end();
    const numeric = http({ ...echo, check: undefined, proc: () => 42 as unknown as Uint8Array }, { binary_path: "/binary" });
    const b = await exchange(numeric, post("abcd"));
    expect(b.responses[0]!.status).toBe(500);
    b.c.end();
  });

  test("async procs are awaited in order; a partial packet is 400; GET is 405; other paths 404", async () => {
    const port = http({ ...echo, proc: async (p: Uint8Array) => (await Bun.sleep(p[0]! % 3), p) }, { binary_path: "/k" });
    const body = kisses(1, 5);
    const post = (b: Uint8Array) => Buffer.concat([Buffer.from(`POST /k HTTP/1.1\r\nHost: h\r\nContent-Length: ${b.length}\r\n\r\n`), b]);
    const { c, responses } = await exchange(port, Buffer.concat([post(body), post(body.subarray(0, 50)), Buffer.from(GET("/k") + GET("/other"))]), 4);
    expect(responses[0]!.body).toEqual(body);
    expect(responses.slice(1).map((r) => r.status)).toEqual([400, 405, 404]);
    expect(responses[2]!.headers.allow).toBe("POST");
    c.end();
  });

  test("opt-in per listener: without it POST /binary is the http hook's (404 with none), proc never runs; ?binary=/path runs proc there only", async () => {
    let procCalls = 0;
    const guarded = {
      ...echo,
      proc: (p: Uint8Array) => (procCalls++, p),
      // A module whose http hook refuses everyone: binary over HTTP must not be a way around it.
      http: (req: { path: string }, res: { status(c: number): { send(b: string): void } }) => res.status(401).send(`no ${req.path}`),
    };
    const body = kisses(1, 2);
    const post = (path: string) => Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`), body]);

    const off = await exchange(http(guarded), post("/binary"));
    expect(off.responses[0]).toMatchObject({ status: 401, text: "no /binary" });
    off.c.end();
    server!.stop();
    const noHook = await exchange(http(echo), post("/binary"));
    expect(noHook.responses[0]!.status).toBe(404);
    noHook.c.end();
    server!.stop();
    expect(procCalls).toBe(0);

    const on = await exchange(http(guarded, {}, {}, "?binary=/bin"), Buffer.concat([post("/bin"), post("/binary")]), 2);
    expect(on.responses[0]!.status).toBe(200);
    expect(on.responses[0]!.body).toEqual(body);
    expect(on.responses[1]).toMatchObject({ status: 401, text: "no /binary" });
    expect(procCalls).toBe(2);
    on.c.end();
    server!.stop();
    // The listener's choice wins over http.binary_path; "?binary=" turns it off there.
    const keyOff = await exchange(http(guarded, { binary_path: "/binary" }, {}, "?binary="), post("/binary"));
    expect(keyOff.responses[0]!.status).toBe(401);
    keyOff.c.end();
    expect(procCalls).toBe(2);
  });

  test("an async hook that holds req.body across an await sees its own body while other requests are parsed", async () => {
    const port = http({
      name: "hold-body",
      version: "1.0.0",
      grocketd: "^0.1.0",
      async http(req) {
        const body = req.body; // taken before the await: must not be overwritten by later reads
        await Bun.sleep(req.path === "/slow" ? 40 : 1);
        return new Uint8Array(body);
      },
      proc: async (p: Uint8Array) => (await Bun.sleep(30), p),
    }, { binary_path: "/binary" });
    const post = (path: string, b: string) => `POST ${path} HTTP/1.1\r\nHost: h\r\nContent-Length: ${b.length}\r\n\r\n${b}`;
    const a = await connect(port);
    a.write(post("/slow", "first body, held"));
    const bin = await connect(port);
    bin.write(post("/binary", "binary packet one"));
    await Bun.sleep(10);
    const b = await connect(port);
    b.write(post("/fast", "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX") + post("/fast", "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYY"));
    const [r1] = await waitResponses(a, 1);
    const [r2] = await waitResponses(bin, 1);
    const rb = await waitResponses(b, 2);
    expect(r1!.text).toBe("first body, held");
    expect(r2!.text).toBe("binary packet one");
    expect(rb.map((r) => r.text)).toEqual(["X".repeat(40), "Y".repeat(30)]);
    for (const c of [a, bin, b]) c.end();
  });
});
