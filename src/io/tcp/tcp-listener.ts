/**
 * @module io/tcp/tcp-listener
 * A `tcp://` (or `tls://`) listen entry: packets framed by the module's `check` and answered through the module's
 * backend (io/backend.ts): its `proc` inline, or on a handler thread in pool mode (`check` frames here either way).
 */
import type { TCPSocketListener } from "bun";
import type { ListenEntry } from "../../config/listen-url.ts";
import type { IoContext } from "../io-context.ts";
import { listenStream } from "../listen-stream.ts";
import type { StreamService } from "../stream-connection.ts";
import { TcpConnection, type TcpService } from "./tcp-connection.ts";
import { createDataHandler } from "./tcp-framing.ts";

export function listenTcp(io: IoContext, entry: ListenEntry, service: StreamService): TCPSocketListener<TcpConnection> {
  const { onData, frameBacklog } = createDataHandler(service.def.check, service.backend, service.maxPacket, service.highWater);
  const tcp: TcpService = { ...service, frameBacklog };
  return listenStream<TcpConnection>(io, entry, {
    create: (s) => new TcpConnection(s as never, io, tcp),
    data: onData,
  });
}
