/**
 * @module io/tcp/tcp-listener
 * Opens one `tcp://` (or `tls://`) listen entry in this I/O thread with SO_REUSEPORT, so every thread accepts on the same port
 * and the kernel spreads connections. `reusePort` is honoured by Bun.listen at run time although bun-types leaves it
 * out of TCPSocketListenOptions (research bun-platform §2), hence the local type below.
 */
import type { TCPSocketListener, TCPSocketListenOptions } from "bun";
import type { ListenEntry } from "../../config/listen-url.ts";
import { tlsListenOption } from "../tls-options.ts";
import type { IoContext } from "../io-context.ts";
import type { StreamService } from "../stream-connection.ts";
import { TcpConnection } from "./tcp-connection.ts";
import { createDataHandler, poolProc } from "./tcp-framing.ts";

type ListenOptions = TCPSocketListenOptions<TcpConnection> & { reusePort?: boolean };

export function listenTcp(io: IoContext, entry: ListenEntry, svc: StreamService): TCPSocketListener<TcpConnection> {
  // Pool mode: check still frames here, on the I/O thread; proc runs on a handler thread.
  const proc = io.pool !== null ? poolProc : svc.def.proc;
  const { onData, pump } = createDataHandler(svc.def.check, proc, svc.maxPacket, svc.highWater);
  const opts: ListenOptions = {
    hostname: entry.hostname,
    port: entry.port,
    reusePort: true,
    tls: tlsListenOption(entry, io.config.tls), // tls:// and https:// only
    // Keep the socket writable after the peer's FIN so replies to what it sent still go out.
    allowHalfOpen: true,
    socket: {
      binaryType: "uint8array",
      open(s) {
        const c = new TcpConnection(s as never, io, svc);
        c.pump = pump;
        s.data = c;
        if (io.draining || !c.accept()) {
          c.stopReading = true;
          s.terminate();
        }
      },
      data(s, chunk) {
        onData(s.data, chunk as unknown as Uint8Array);
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
  return Bun.listen<TcpConnection>(opts);
}
