/**
 * Microbenchmark of one HTTP read event through the whole server layer (llhttp binding, checks, the `hello`
 * module's static response, corking), with a socket that accepts everything: grocketd's JavaScript and WASM cost
 * per request, without the kernel. wrk's request, 1 and 16 per read.
 *
 *   bun bench/micro/http-server.bench.ts
 */
import { bench, group, run } from "mitata";
import type { ModuleDefinition } from "../../src/module/types.ts";
import hello from "../../modules/hello.ts";
import { fakeHttpConnection } from "./fake-http.ts";

const connection = () => fakeHttpConnection(hello as ModuleDefinition<unknown>).c;

const req = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", "latin1");
const req16 = Buffer.concat(Array.from({ length: 16 }, () => req));
const a = connection();
const b = connection();

group("http read event, hello module (fake socket)", () => {
  bench("1 request per read", () => a.onData(new Uint8Array(req)));
  bench("16 pipelined requests per read (/16 per request)", () => b.onData(new Uint8Array(req16)));
});

if (import.meta.main) await run();
