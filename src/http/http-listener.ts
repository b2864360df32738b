/**
 * @module http/http-listener
 * Opens one `http://` (or `https://`) listen entry in this I/O thread with SO_REUSEPORT (like tcp-listener), serving the module's
 * `http` hook and binary-over-HTTP through HttpConnection.
 */
import type { TCPSocketListener, TCPSocketListenOptions } from "bun";
import type { ListenEntry } from "../config/listen-url.ts";
import { tlsListenOption } from "../io/tls-options.ts";
import type { IoContext } from "../io/io-context.ts";
import type { StreamService } from "../io/stream-connection.ts";
import { DateHeader } from "./date-header.ts";
import { HttpConnection, type HttpService } from "./http-connection.ts";

type ListenOptions = TCPSocketListenOptions<HttpConnection> & { reusePort?: boolean };

/** One Date header per thread, shared by its HTTP listeners. */
let date: DateHeader | undefined;

export function listenHttp(io: IoContext, entry: ListenEntry, base: StreamService): TCPSocketListener<HttpConnection> {
  const d = (date ??= new DateHeader());
  const server = io.config.http.server_header;
  const svc: HttpService = {
    ...base,
    http: io.config.http,
    env: { serverLine: server === "" ? "" : `Server: ${server}\r\n`, date: d },
  };
  const opts: ListenOptions = {
    hostname: entry.hostname,
    port: entry.port,
    reusePort: true,
    tls: tlsListenOption(entry, io.config.tls), // tls:// and https:// only
    allowHalfOpen: true,
    socket: {
      binaryType: "uint8array",
      open(s) {
        const c = new HttpConnection(s as never, io, svc);
        s.data = c;
        if (io.draining || !c.accept()) {
          c.stopReading = true;
          s.terminate();
          return;
        }
        c.opened();
      },
      data(s, chunk) {
        d.refresh();
        s.data.onData(chunk as unknown as Uint8Array);
      },
      drain(s) {
        s.data.onDrain();
      },
      end(s) {
        s.data?.onPeerEnd();
      },
      close(s) {
        s.data?.onClose();
      },
      error(s, err) {
        io.log.debug("socket error", { conn: s.data?.id, error: err.message });
      },
    },
  };
  return Bun.listen<HttpConnection>(opts);
}
