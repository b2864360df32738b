/**
 * An HTTP connection of the real data path on a fake socket (fake-socket.ts), for the microbenchmarks: one thread
 * context with the inline backend, and connections built the way http/http-listener.ts builds them.
 */
import { defaultConfig } from "../../src/config/keys.ts";
import { DateHeader } from "../../src/http/date-header.ts";
import { HttpConnection } from "../../src/http/http-connection.ts";
import { IdleHolders } from "../../src/http/idle-holders.ts";
import { ParserPool } from "../../src/http/parser-pool.ts";
import { wsRoute } from "../../src/http/ws-upgrade.ts";
import { InlineBackend } from "../../src/inline/inline-backend.ts";
import { InlineHttp } from "../../src/inline/inline-http.ts";
import { IoContext } from "../../src/io/io-context.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { ModuleDefinition } from "../../src/module/types.ts";
import { fakeSocket } from "./fake-socket.ts";

export const config = defaultConfig();
const log = createLogger({ level: "error", format: "text", where: "bench" });
export const io = new IoContext(0, config, log);
io.backend = new InlineBackend(io);
const date = new DateHeader();

/** An accepted connection serving `def` (`ws`: also WebSocket upgrades on "/"). */
export function fakeHttpConnection(def: ModuleDefinition<unknown>, ws = false): { c: HttpConnection; s: ReturnType<typeof fakeSocket> } {
  const s = fakeSocket();
  const base = { def, moduleIndex: 0, log, maxPacket: 1 << 20, highWater: 1 << 20, backend: io.backend.forModule(def, 0) };
  const c = new HttpConnection(s as never, io, {
    ...base,
    httpBackend: new InlineHttp(),
    parsers: new ParserPool(config.http),
    holders: new IdleHolders(),
    http: config.http,
    scheme: "http",
    durations: io.slot.durations,
    durationBase: io.slot.durationListener("http://bench:0"),
    env: { serverLine: "Server: grocketd\r\n", date },
    binaryPath: "",
    ...(ws ? { ws: wsRoute(io, base as never, "/", true) } : {}),
  });
  c.accept();
  return { c, s };
}
