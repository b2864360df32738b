/**
 * @module io/tcp/tcp-listener
 * A `tcp://` (or `tls://`) listen entry: packets framed by the module's `check` and answered by its `proc` — inline,
 * or on a handler thread in pool mode (then `check` still frames here, on the I/O thread).
 */
import type { TCPSocketListener } from "bun";
import type { ListenEntry } from "../../config/listen-url.ts";
import type { IoContext } from "../io-context.ts";
import { listenStream } from "../listen-stream.ts";
import type { StreamService } from "../stream-connection.ts";
import { TcpConnection } from "./tcp-connection.ts";
import { createDataHandler, poolProc } from "./tcp-framing.ts";

export function listenTcp(io: IoContext, entry: ListenEntry, svc: StreamService): TCPSocketListener<TcpConnection> {
  const proc = io.pool !== null ? poolProc : svc.def.proc;
  const { onData, pump } = createDataHandler(svc.def.check, proc, svc.maxPacket, svc.highWater);
  return listenStream<TcpConnection>(io, entry, {
    create(s) {
      const c = new TcpConnection(s as never, io, svc);
      c.pump = pump;
      return c;
    },
    data: onData,
  });
}
