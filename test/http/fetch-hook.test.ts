// The web-standard `fetch(request, conn)` hook (src/http/fetch-bridge.ts): requests with headers and bodies,
// responses with status, fields and whole or streamed bodies (chunked, with backpressure), failures answered 500 or
// shaped by the `error` hook, a hono app as one line, and the same module in pool mode. Also res.json().
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { defineModule } from "../../src/index.ts";
import { validateManifest } from "../../src/module/manifest.ts";
import { cannedError } from "../../src/http/http-errors.ts";
import { S_BYTES_IN, S_ERR_HANDLER } from "../../src/stats/stat-fields.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { connect, withTimeout } from "../helpers/tcp-client.ts";
import { exchange, waitResponses } from "../helpers/http-client.ts";
import { parseResponses } from "../helpers/http-messages.ts";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import fetchApp, * as fetchAppState from "../fixtures/modules/fetch-app.ts";
import honoApp from "../../modules/hono-app.ts";

const FETCH_APP = resolve(import.meta.dir, "../fixtures/modules/fetch-app.ts");
let server: InProcessServer | undefined;
let running: Running | undefined;
afterEach(async () => {
  server?.stop();
  server = undefined;
  await running?.stop("SIGKILL");
  running = undefined;
});

type Def = Parameters<typeof defineModule>[0];
function serve(def: Def, io = {}): number {
  server = startInProcess(defineModule(def), io, { protocol: "http" });
  return server.port;
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: h.example:81\r\n${extra}\r\n`;

describe("fetch hook", () => {
  test("GET: status, fields and a whole body with Content-Length; the Request has an absolute URL and the headers", async () => {
    const port = serve(fetchApp as Def);
    const { c, responses } = await exchange(port, GET("/hello") + GET("/url?q=1", "X-A: b\r\n") + GET("/teapot") + `HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n`, 4, [false, false, false, true]);
    expect(responses[0]).toMatchObject({ status: 200, text: "hello fetch" });
    expect(responses[0]!.headers).toMatchObject({ "x-test": "yes", "content-length": "11", "content-type": "text/plain;charset=utf-8", server: "grocketd" });
    expect(responses[0]!.headers["transfer-encoding"]).toBeUndefined();
    expect(JSON.parse(responses[1]!.text)).toEqual({ url: "http://h.example:81/url?q=1", method: "GET", a: "b", remote: "127.0.0.1", protocol: "http" });
    expect(responses[1]!.headers["content-type"]).toContain("application/json");
    expect(responses[2]).toMatchObject({ status: 418, text: "" });
    expect(responses[3]!.status).toBe(200);
    expect(responses[3]!.body.length).toBe(0); // HEAD: the head only
    c.end();
  });

  test("every kind of Response body: whole ones with Content-Length, a stream with more than one chunk chunked; every method reaches the hook", async () => {
    const big = "x".repeat(20_000); // past Bun's 16 KiB read-out chunk: more than one chunk, so chunked
    const ready = (chunks: string[]) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (const t of chunks) c.enqueue(new TextEncoder().encode(t));
          c.close();
        },
      });
    const bodies: Record<string, () => Response> = {
      "/empty": () => new Response(""),
      "/null": () => new Response(null, { status: 200 }),
      "/bytes": () => new Response(new Uint8Array([104, 105])),
      "/buffer": () => new Response(new Uint8Array([104, 105, 33]).buffer),
      "/blob": () => new Response(new Blob(["blob!"], { type: "application/x-blob" })),
      "/json": () => Response.json({ a: 1 }),
      "/big": () => new Response(big),
      "/ready-one": () => new Response(ready(["one chunk"])),
      "/ready-two": () => new Response(ready(["two ", "chunks"])),
    };
    const port = serve({
      name: "bodies",
      version: "1.0.0",
      grocketd: "^0.1.0",
      async fetch(request) {
        const path = new URL(request.url).pathname;
        const make = bodies[path];
        if (make !== undefined) return make();
        return new Response(`${request.method} ${request.url} ${request.body === null ? "-" : await request.text()}`);
      },
    });
    const paths = Object.keys(bodies);
    const more = [`DELETE /d HTTP/1.1\r\nHost: h\r\n\r\n`, `PUT /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nput`, `OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n`];
    const { c, responses } = await exchange(port, paths.map((p) => GET(p)).join("") + more.join(""), paths.length + more.length);
    const got = Object.fromEntries(paths.map((p, i) => [p, responses[i]!]));
    const whole = (p: string, text: string) => {
      expect(got[p]).toMatchObject({ status: 200, text });
      expect(got[p]!.headers["content-length"]).toBe(String(Buffer.byteLength(text)));
      expect(got[p]!.headers["transfer-encoding"]).toBeUndefined();
    };
    whole("/empty", "");
    whole("/null", "");
    whole("/bytes", "hi");
    whole("/buffer", "hi!");
    whole("/blob", "blob!");
    whole("/json", '{"a":1}');
    whole("/ready-one", "one chunk");
    expect(got["/blob"]!.headers["content-type"]).toBe("application/x-blob");
    expect(got["/json"]!.headers["content-type"]).toContain("application/json");
    for (const [p, text] of [["/big", big], ["/ready-two", "two chunks"]] as const) {
      expect(got[p]).toMatchObject({ status: 200, text });
      expect(got[p]!.headers["transfer-encoding"]).toBe("chunked");
    }
    const [del, put, options] = responses.slice(paths.length).map((r) => r.text);
    expect(del).toBe("DELETE http://h/d -");
    expect(put).toBe("PUT http://h/p put");
    expect(options).toBe("OPTIONS http://h/ -");
    c.end();
  });

  test("POST: the whole request body reaches the Request (text and 200 KB of bytes); Set-Cookie fields stay apart", async () => {
    const port = serve(fetchApp as Def);
    const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    const head = `POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-test\r\nContent-Length: ${big.length}\r\n\r\n`;
    const c = await connect(port);
    c.write(`POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello`);
    c.write(head);
    // The body in pieces: it is collected whole before the hook runs.
    for (let off = 0; off < big.length; off += 50_000) c.write(big.subarray(off, off + 50_000));
    c.write(GET("/cookies"));
    const r = await waitResponses(c, 3);
    expect(r[0]).toMatchObject({ status: 201, text: "hello" });
    expect(r[0]!.headers["content-type"]).toBe("text/plain");
    expect(r[1]!.status).toBe(201);
    expect(r[1]!.headers["content-type"]).toBe("application/x-test");
    expect(Buffer.compare(Buffer.from(r[1]!.body), Buffer.from(big))).toBe(0);
    expect(r[2]!.status).toBe(204);
    expect(r[2]!.raw.match(/^set-cookie: .*$/gim)).toEqual(["Set-Cookie: a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT", "Set-Cookie: b=2"]);
    c.end();
  });

  test("a streamed body goes out chunked, no faster than the client reads: the stream is not pulled while the client waits", async () => {
    const port = serve(fetchApp as Def, { high_water: 256 * 1024 });
    const n = 512;
    const size = 64 * 1024;
    const before = fetchAppState.pulled;
    const c = await connect(port);
    c.pause();
    c.write(GET(`/stream?n=${n}&size=${size}`));
    await Bun.sleep(500);
    const whilePaused = fetchAppState.pulled - before;
    // The kernel's socket buffers and the connection's high water hold a few MB at most, far from the 32 MiB.
    expect(whilePaused).toBeGreaterThan(0);
    expect(whilePaused).toBeLessThan(n / 2);
    await Bun.sleep(300);
    expect(fetchAppState.pulled - before).toBe(whilePaused); // nothing more while nobody reads
    c.resume();
    const [r] = await waitResponses(c, 1, [], 30_000);
    expect(r!.headers["transfer-encoding"]).toBe("chunked");
    expect(r!.headers["content-length"]).toBeUndefined();
    expect(r!.body.length).toBe(n * size);
    for (let i = 0; i < n; i += 37) expect(r!.body[i * size + 5]).toBe(97 + (i % 26));
    expect(fetchAppState.pulled - before).toBe(n);
    c.end();
  });

  test("a throwing or rejecting fetch is answered 500 without an error hook; the connection stays usable", async () => {
    const port = serve({
      name: "f500",
      version: "1.0.0",
      grocketd: "^0.1.0",
      fetch: (req) => {
        if (req.url.endsWith("/throw")) throw new Error("sync");
        if (req.url.endsWith("/reject")) return Promise.reject(new Error("async"));
        if (req.url.endsWith("/not-a-response")) return "text" as unknown as Response;
        return new Response("fine");
      },
    });
    const { c, responses } = await exchange(port, GET("/throw") + GET("/reject") + GET("/not-a-response") + GET("/ok"), 4);
    expect(responses.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(responses[0]!.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(responses[3]!.text).toBe("fine");
    expect(server!.io.stats[S_ERR_HANDLER]).toBe(3);
    expect(server!.logs.some((l) => l.includes("the fetch hook must return a Response, got string"))).toBe(true);
    c.end();
  });

  test("the error hook shapes the answer (a Response, or a string sent as 500); if it throws, the plain 500", async () => {
    const port = serve(fetchApp as Def);
    const { c, responses } = await exchange(port, GET("/throw") + GET("/reject") + GET("/bad-error") + GET("/hello"), 4);
    expect(responses[0]).toMatchObject({ status: 503, text: "shaped: thrown on purpose" });
    expect(responses[0]!.headers["x-shaped"]).toBe("1");
    expect(responses[1]).toMatchObject({ status: 500, text: "shaped string: rejected on purpose" });
    expect(responses[2]!.status).toBe(500);
    expect(responses[2]!.text).toBe(new TextDecoder().decode(cannedError(500).body));
    expect(responses[3]!.text).toBe("hello fetch");
    expect(server!.io.stats[S_ERR_HANDLER]).toBe(3); // shaped failures still count
    expect(server!.logs.some((l) => l.includes("error hook failed; answering 500"))).toBe(true);
    c.end();
  });

  test("the error hook shapes http-hook failures too, and forgets the fields the failed handler set; res.json()", async () => {
    const port = serve({
      name: "json",
      version: "1.0.0",
      grocketd: "^0.1.0",
      http(req, res) {
        if (req.path === "/fail") {
          res.header("X-Half", "set before the throw");
          throw new Error("http failed");
        }
        if (req.path === "/typed") return res.header("Content-Type", "application/vnd.x+json").json([1]);
        res.status(202).json({ ok: true, path: req.path });
      },
      error: (err) => Response.json({ error: (err as Error).message }, { status: 500 }),
    });
    const { c, responses } = await exchange(port, GET("/j") + GET("/typed") + GET("/fail"), 3);
    expect(responses[0]).toMatchObject({ status: 202, text: '{"ok":true,"path":"/j"}' });
    expect(responses[0]!.headers["content-type"]).toBe("application/json");
    expect(responses[1]!.headers["content-type"]).toBe("application/vnd.x+json");
    expect(responses[2]!.status).toBe(500);
    expect(JSON.parse(responses[2]!.text)).toEqual({ error: "http failed" });
    expect(responses[2]!.headers["x-half"]).toBeUndefined();
    c.end();
  });

  test("a hono app is one line (fetch: app.fetch): routes, params, JSON, POST bodies, streaming, notFound", async () => {
    const port = serve(honoApp as Def);
    const post = `POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc`;
    const { c, responses } = await exchange(port, GET("/") + GET("/users/42", "User-Agent: t/1\r\n") + post + GET("/stream") + GET("/nope"), 5);
    expect(responses[0]).toMatchObject({ status: 200, text: "Hello from hono on grocketd\n" });
    expect(JSON.parse(responses[1]!.text)).toEqual({ id: "42", agent: "t/1" });
    expect(responses[2]!.status).toBe(201);
    expect(JSON.parse(responses[2]!.text)).toEqual({ received: "abc", type: "text/plain" });
    expect(responses[3]!.headers["transfer-encoding"]).toBe("chunked");
    expect(responses[3]!.text).toBe("line 1\nline 2\nline 3\nline 4\nline 5\n");
    expect(responses[4]).toMatchObject({ status: 404, text: "no such route\n" });
    c.end();
  });

  test("a client that leaves mid-stream: the stream is cancelled and the connection's close hook runs", async () => {
    let cancelled = false;
    let closed = 0;
    const port = serve({
      name: "gone",
      version: "1.0.0",
      grocketd: "^0.1.0",
      close: () => void closed++,
      fetch: () =>
        new Response(
          new ReadableStream({
            async pull(c) {
              await Bun.sleep(5);
              c.enqueue(new Uint8Array(1024));
            },
            cancel() {
              cancelled = true;
            },
          }),
        ),
    });
    const c = await connect(port);
    c.write(GET("/"));
    await c.waitBytes(2048, 5000);
    c.end();
    for (let i = 0; i < 200 && !(cancelled && closed === 1); i++) await Bun.sleep(10);
    expect(cancelled).toBe(true);
    expect(closed).toBe(1);
  });

  test("pool mode: the same module on a handler thread — GET, POST, streaming, the error hook", async () => {
    running = await startGrocketd(["-m", FETCH_APP, "--listen", "http://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" },
      expectListening: 1,
    });
    const base = `http://127.0.0.1:${running.ports[0]}`;
    const hello = await fetch(`${base}/hello`);
    expect([hello.status, hello.headers.get("x-test"), await hello.text()]).toEqual([200, "yes", "hello fetch"]);
    const echo = await fetch(`${base}/echo`, { method: "POST", body: "pooled body", headers: { "Content-Type": "text/x-p" } });
    expect([echo.status, echo.headers.get("content-type"), await echo.text()]).toEqual([201, "text/x-p", "pooled body"]);
    const url = await (await fetch(`${base}/url`, { headers: { "X-A": "pool" } })).json();
    expect(url).toMatchObject({ url: `${base}/url`, a: "pool", protocol: "http" });
    const s = await fetch(`${base}/stream?n=200&size=8192`);
    expect(s.headers.get("transfer-encoding")).toBe("chunked");
    expect((await s.arrayBuffer()).byteLength).toBe(200 * 8192);
    const shaped = await fetch(`${base}/throw`);
    expect([shaped.status, shaped.headers.get("x-shaped"), await shaped.text()]).toEqual([503, "1", "shaped: thrown on purpose"]);
    const str = await fetch(`${base}/reject`);
    expect([str.status, await str.text()]).toEqual([500, "shaped string: rejected on purpose"]);
    const plain = await fetch(`${base}/bad-error`);
    expect(plain.status).toBe(500);
    expect(await plain.text()).not.toContain("shaped");
    expect(await running.stop("SIGTERM")).toBe(0);
  });
});

describe("async hooks that answer before they return", () => {
  test("pipelined: a hook's late settling does not judge the next request's response (it was taken for 'answered nothing')", async () => {
    const port = serve({
      name: "late",
      version: "1.0.0",
      grocketd: "^0.1.0",
      async http(req, res) {
        await Bun.sleep(1);
        res.send(`answered ${req.path}`); // then the hook's promise settles, a turn later
      },
    });
    const { c, responses } = await exchange(port, GET("/1") + GET("/2") + GET("/3"), 3);
    expect(responses.map((r) => `${r.status} ${r.text}`)).toEqual(["200 answered /1", "200 answered /2", "200 answered /3"]);
    expect(server!.io.stats[S_ERR_HANDLER]).toBe(0);
    c.end();
  });
});

describe("manifest: fetch and error hooks", () => {
  const base = { name: "m", version: "1.0.0", grocketd: "^0.1.0" };
  const problems = (v: unknown): string => {
    try {
      validateManifest(v, "m.ts");
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  };
  test("fetch alone serves; http and fetch together, an error hook with neither, and non-functions are refused", () => {
    expect(problems({ ...base, fetch: () => new Response("x"), error: () => "e" })).toBe("");
    expect(problems({ ...base, http: () => "x", fetch: () => new Response("x") })).toContain('field "fetch": a module answers HTTP with http or with fetch, not both');
    expect(problems({ ...base, proc: (p: Uint8Array) => p, error: () => "e" })).toContain('field "error": the error hook shapes failed http or fetch answers');
    expect(problems({ ...base, fetch: "app.fetch" })).toContain('field "fetch": expected a function, got "app.fetch"');
    expect(problems({ ...base })).toContain("a module needs a proc, an http or a fetch hook, it has none");
  });
});

// On the I/O threads a fetch hook gets its request body as a stream fed as the bytes arrive (src/http/body-stream.ts).
describe("fetch hook: the request body as a stream", () => {
  const text = (c: { received(): Uint8Array }) => new TextDecoder().decode(c.received());
  async function until(what: string, ok: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !ok(); i++) await Bun.sleep(10);
    if (!ok()) throw new Error(`timed out waiting for ${what}`);
  }
  const base = { name: "body-stream", version: "1.0.0", grocketd: "^0.1.0" };

  test("the hook reads the first chunk before the client has sent the rest (the client waits for its answer)", async () => {
    const port = serve({
      ...base,
      fetch(request: Request) {
        const reader = request.body!.getReader();
        const out = new ReadableStream<Uint8Array>({
          async start(c) {
            const first = await reader.read();
            let total = first.value?.length ?? 0;
            c.enqueue(new TextEncoder().encode(`first:${total}\n`));
            for (let n = await reader.read(); !n.done; n = await reader.read()) total += n.value.length;
            c.enqueue(new TextEncoder().encode(`total:${total}`));
            c.close();
          },
        });
        return new Response(out);
      },
    });
    const c = await connect(port);
    c.write(`POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 10000\r\n\r\n`);
    c.write(new Uint8Array(3000).fill(1));
    await until("the hook's answer to the first chunk", () => /first:\d+\n/.test(text(c)));
    const first = Number(/first:(\d+)\n/.exec(text(c))![1]);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(3000);
    c.write(new Uint8Array(7000).fill(2));
    const [r] = await waitResponses(c, 1);
    expect(r!.text).toBe(`first:${first}\ntotal:10000`);
    c.end();
  });

  test("a hook that does not read a large upload: the server stops reading (bounded), then answers and goes on", async () => {
    const highWater = 64 * 1024;
    let called = false;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    server = startInProcess(
      defineModule({
        ...base,
        async fetch(request: Request) {
          if (request.method === "GET") return new Response("next");
          called = true;
          await released;
          return new Response("not read");
        },
      } as Def),
      { high_water: highWater },
      { protocol: "http", http: { max_body_bytes: 32 * 1024 * 1024 } },
    );
    const size = 8 * 1024 * 1024;
    const c = await connect(server.port);
    c.write(`POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: ${size}\r\n\r\n`);
    c.write(new Uint8Array(size).fill(7));
    c.write(GET("/next"));
    await until("the hook", () => called);
    await Bun.sleep(300);
    // What the server has read: the head, the stream's high water, and the reads Bun delivers around a pause.
    expect(server.io.stats[S_BYTES_IN]).toBeLessThan(4 * 64 * 1024 + highWater);
    release();
    const r = await waitResponses(c, 2, [], 20_000);
    expect(r.map((x) => x.text)).toEqual(["not read", "next"]);
    expect(server.io.stats[S_BYTES_IN]).toBeGreaterThan(size);
    c.end();
  });

  test("a client that leaves mid-body: the hook's body reader rejects", async () => {
    let got = 0;
    let failure = "";
    const port = serve({
      ...base,
      async fetch(request: Request) {
        const reader = request.body!.getReader();
        try {
          for (let n = await reader.read(); !n.done; n = await reader.read()) got += n.value.length;
        } catch (err) {
          failure = String(err);
        }
        return new Response("late");
      },
    });
    const c = await connect(port);
    c.write(`POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n`);
    c.write(new Uint8Array(1000));
    await until("the first chunk", () => got > 0);
    c.end();
    await until("the reader's rejection", () => failure !== "");
    expect(failure).toContain("before the request body was complete");
    expect(got).toBe(1000);
  });

  test("http.max_body_bytes passed mid-stream (chunked): the stream errors and the connection closes", async () => {
    let got = 0;
    let failure = "";
    server = startInProcess(
      defineModule({
        ...base,
        async fetch(request: Request) {
          const reader = request.body!.getReader();
          try {
            for (let n = await reader.read(); !n.done; n = await reader.read()) got += n.value.length;
          } catch (err) {
            failure = String(err);
          }
          return new Response("late");
        },
      } as Def),
      {},
      { protocol: "http", http: { max_body_bytes: 10_000 } },
    );
    const c = await connect(server.port);
    c.write(`POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1770\r\n${"a".repeat(6000)}\r\n`);
    await until("the first chunk", () => got > 0);
    c.write(`1770\r\n${"b".repeat(6000)}\r\n`);
    await until("the reader's rejection", () => failure !== "");
    expect(failure).toContain("413");
    expect(got).toBe(6000);
    await withTimeout(c.closed, 5000, "the close");
  });

  test("pipelined requests after a streamed one are dispatched after its response, and answered in order", async () => {
    const order: string[] = [];
    const port = serve({
      ...base,
      async fetch(request: Request) {
        const path = new URL(request.url).pathname;
        order.push(`start ${path}`);
        if (request.method === "POST") {
          const body = await request.text();
          await Bun.sleep(50);
          order.push(`done ${path}`);
          return new Response(`post ${body}`);
        }
        return new Response(`get ${path}`);
      },
    });
    const c = await connect(port);
    c.write(`POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n12345`);
    await until("the hook, before the body is complete", () => order.length > 0);
    c.write(`67890${GET("/a")}${GET("/b")}`);
    const r = await waitResponses(c, 3);
    expect(r.map((x) => x.text)).toEqual(["post 1234567890", "get /a", "get /b"]);
    expect(order).toEqual(["start /p", "done /p", "start /a", "start /b"]);
    c.end();
  });
});
