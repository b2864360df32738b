/**
 * Microbenchmark of the `fetch` hook's costs (src/http/fetch-bridge.ts): the ways Bun offers to read a Response's
 * body (the stream reader against the body methods, which Bun resolves at once for a body held in memory), building
 * the Request, and one whole read event through the server layer with bench/modules/fetch-hello.ts against a socket
 * that accepts everything (as http-server.bench.ts does for the `http` hook), awaited until its answer is written.
 *
 *   bun bench/micro/fetch-bridge.bench.ts
 */
import { bench, do_not_optimize, group, run } from "mitata";
import type { HttpConnection } from "../../src/http/http-connection.ts";
import { fakeHttpConnection } from "./fake-http.ts";
import type { ModuleDefinition } from "../../src/module/types.ts";
import fetchHello from "../modules/fetch-hello.ts";
import hello from "../../modules/hello.ts";

const hi = () => new Response("Hello, World!", { headers: { "Content-Type": "text/plain" } });

group("fetch: a 13-byte Response body", () => {
  bench("new Response only (the floor)", () => do_not_optimize(hi()));
  bench("body.getReader(), two read()s awaited (the bridge before)", async () => {
    const rd = hi().body!.getReader();
    const a = await rd.read();
    do_not_optimize(await rd.read());
    rd.releaseLock();
    do_not_optimize(a);
  });
  bench("body.getReader(), read() peeked, the second awaited (the bridge)", async () => {
    const rd = hi().body!.getReader();
    const p1 = rd.read();
    do_not_optimize(Bun.peek(p1));
    do_not_optimize(await rd.read());
  });
  bench("bytes(), Bun.peek (not usable first: takes a stream whole)", () => {
    const p = hi().bytes();
    do_not_optimize(Bun.peek(p));
  });
  bench("arrayBuffer(), Bun.peek", () => {
    const p = hi().arrayBuffer();
    do_not_optimize(Bun.peek(p));
  });
  bench("headers.forEach + getSetCookie", () => {
    const h = hi().headers;
    let n = 0;
    h.forEach((v) => (n += v.length));
    do_not_optimize(h.getSetCookie());
    do_not_optimize(n);
  });
});

group("fetch: building the Request", () => {
  bench("new Request(url)", () => do_not_optimize(new Request("http://127.0.0.1:8080/")));
  bench("new Headers, append × 3, new Request(url, { method, headers })", () => {
    const h = new Headers();
    h.append("host", "127.0.0.1:8080");
    h.append("user-agent", "wrk");
    h.append("accept", "*/*");
    do_not_optimize(new Request("http://127.0.0.1:8080/", { method: "GET", headers: h }));
  });
  bench("new Request(url), append × 3 to its headers (the bridge's GET)", () => {
    const r = new Request("http://127.0.0.1:8080/");
    const h = r.headers;
    h.append("host", "127.0.0.1:8080");
    h.append("user-agent", "wrk");
    h.append("accept", "*/*");
    do_not_optimize(r);
  });
});

const connection = (def: ModuleDefinition<unknown>): { c: HttpConnection; s: { written: number } } => fakeHttpConnection(def);

const req = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n", "latin1");

/**
 * One request per read, awaited until its answer has been written and the connection takes the next request (an
 * async hook's promise settles a few turns after its answer is out, and the fake socket's pause() does not hold reads).
 */
async function roundTrip(x: { c: HttpConnection; s: { written: number } }): Promise<void> {
  const before = x.s.written;
  x.c.onData(new Uint8Array(req));
  const conn = x.c as unknown as { waiting: boolean };
  for (let turns = 0; x.s.written === before || conn.waiting; turns++) {
    if (turns > 1000) throw new Error("no answer after 1000 turns");
    await null;
  }
  // The connection resumes parsing on a microtask it queued when the response finished: let that run first.
  await new Promise<void>((r) => queueMicrotask(r));
}

const viaFetch = connection(fetchHello as ModuleDefinition<unknown>);
const viaHttp = connection(hello as ModuleDefinition<unknown>);
await roundTrip(viaFetch); // fails here, before measuring, if the bridge does not answer
group("http read event, one request, answered (fake socket)", () => {
  bench("http hook (modules/hello.ts)", () => roundTrip(viaHttp));
  bench("fetch hook (bench/modules/fetch-hello.ts)", () => roundTrip(viaFetch));
});

if (import.meta.main) await run();
