/**
 * @module http/http-listener
 * An `http://` (or `https://`) listen entry: the module's `http` hook and binary over HTTP, through HttpConnection;
 * the thread's `Date` header is brought up to date on each read, from the clock reading the read event takes anyway.
 */
import type { TCPSocketListener } from "bun";
import { formatListenUrl, isWsProtocol, type ListenEntry } from "../config/listen-url.ts";
import { wsRoute } from "./ws-upgrade.ts";
import type { IoContext } from "../io/io-context.ts";
import { listenStream } from "../io/listen-stream.ts";
import type { StreamService } from "../io/stream-connection.ts";
import { DateHeader } from "./date-header.ts";
import type { HttpBackend } from "./http-backend.ts";
import { llhttpModule } from "./llhttp/wasm-loader.ts";
// For the I/O thread's start: the module the master compiled (thread/io-thread.ts reaches http/ only through this file).
export { adoptLlhttpModule } from "./llhttp/wasm-loader.ts";
import { HttpConnection, type HttpService } from "./http-connection.ts";
import { IdleHolders } from "./idle-holders.ts";
import { ParserPool } from "./parser-pool.ts";

/** One Date header per thread, shared by its HTTP listeners. */
let date: DateHeader | undefined;
let dateTimer: ReturnType<typeof setInterval> | undefined;

/** `backend`: who answers the requests (http-backend.ts), picked by the thread wiring. */
export function listenHttp(io: IoContext, entry: ListenEntry, base: StreamService, backend: HttpBackend): TCPSocketListener<HttpConnection> {
  // Compile and verify llhttp now (SHA-256, imports, exports): a wrong install fails the thread's start, not a request.
  llhttpModule();
  const d = (date ??= new DateHeader());
  // Reads bring it up to date on the hot path (from their own clock reading, see date-header.ts); this re-reads the wall
  // clock and keeps it right for responses sent later (async hooks, streams) on a thread that reads nothing meanwhile.
  // Unref'd: it never keeps a thread alive.
  dateTimer ??= setInterval(() => d.refresh(), 1000).unref();
  const server = io.config.http.server_header;
  const service: HttpService = {
    ...base,
    http: io.config.http,
    env: { serverLine: server === "" ? "" : `Server: ${server}\r\n`, date: d },
    scheme: entry.protocol === "https" ? "https" : "http",
    httpBackend: backend,
    durations: io.slot.durations,
    durationBase: -1,
    // Binary over HTTP runs proc without the http hook: only where the listener (or http.binary_path) asks for it.
    binaryPath: entry.binary ?? io.config.http.binary_path,
    ws: wsRoute(io, base, entry.ws, isWsProtocol(entry.protocol)),
    parsers: new ParserPool(io.config.http),
    holders: new IdleHolders(),
  };
  const l = listenStream<HttpConnection>(io, entry, {
    create: (s) => new HttpConnection(s as never, io, service),
    opened: (c) => c.opened(),
    data(c, chunk) {
      // One clock reading per read event: the Date line and the request durations (request-metrics.ts) share it.
      const now = performance.now();
      d.at(now);
      c.onData(chunk, now);
    },
  });
  // The histogram's `listener` label: the URL with the port actually bound (port 0 picks one). No connection can
  // arrive before this returns, so every request of this listener is recorded.
  service.durationBase = io.slot.durationListener(formatListenUrl(entry.protocol, entry.hostname, l.port, entry.module));
  return l;
}
