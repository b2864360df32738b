/**
 * Microbenchmark of one HTTP read event through the whole server layer (llhttp binding, checks, the `hello`
 * module's static response, corking), with a socket that accepts everything: grocketd's JavaScript and WASM cost
 * per request, without the kernel. wrk's request, 1 and 16 per read.
 *
 *   bun bench/micro/http-server.bench.ts
 */
import { bench, group, run } from "mitata";
import { defaultConfig } from "../../src/config/keys.ts";
import { DateHeader } from "../../src/http/date-header.ts";
import { HttpConnection } from "../../src/http/http-connection.ts";
import { IoContext } from "../../src/io/io-context.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { ModuleDefinition } from "../../src/module/types.ts";
import hello from "../../modules/hello.ts";
import { fakeSocket } from "./fake-socket.ts";
import { InlineBackend } from "../../src/inline/inline-backend.ts";
import { InlineHttp } from "../../src/inline/inline-http.ts";
import { ParserPool } from "../../src/http/parser-pool.ts";

const config = defaultConfig();
const log = createLogger({ level: "error", format: "text", where: "bench" });
const io = new IoContext(0, config, log);
io.backend = new InlineBackend(io);
const date = new DateHeader();

function connection(): HttpConnection {
  const c = new HttpConnection(fakeSocket() as never, io, {
    def: hello as ModuleDefinition<unknown>,
    moduleIndex: 0,
    log,
    maxPacket: 1 << 20,
    highWater: 1 << 20,
    backend: io.backend.forModule(hello as ModuleDefinition<unknown>, 0),
    httpBackend: new InlineHttp(),
    parsers: new ParserPool(config.http),
    http: config.http,
    scheme: "http",
    durations: io.slot.durations,
    durationBase: io.slot.durationListener("http://bench:0"),
    env: { serverLine: "Server: grocketd\r\n", date },
    binaryPath: "",
  });
  c.accept();
  return c;
}

const req = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", "latin1");
const req16 = Buffer.concat(Array.from({ length: 16 }, () => req));
const a = connection();
const b = connection();

group("http read event, hello module (fake socket)", () => {
  bench("1 request per read", () => a.onData(new Uint8Array(req)));
  bench("16 pipelined requests per read (/16 per request)", () => b.onData(new Uint8Array(req16)));
});

if (import.meta.main) await run();
