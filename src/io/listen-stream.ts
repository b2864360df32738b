/**
 * @module io/listen-stream
 * Opens one stream listen entry (tcp, tls, http, https) in this I/O thread with SO_REUSEPORT, so every thread
 * accepts on the same port and the kernel spreads connections, and wires Bun's socket events to a connection object.
 * `reusePort` is honoured by Bun.listen at run time although bun-types leaves it out of TCPSocketListenOptions
 * (docs/platform-notes.md, "SO_REUSEPORT"), hence the local type below.
 */
import type { Socket, TCPSocketListener, TCPSocketListenOptions } from "bun";
import type { ListenEntry } from "../config/listen-url.ts";
import type { IoContext } from "./io-context.ts";
import type { StreamConnection } from "./stream-connection.ts";
import { tlsListenOption } from "./tls-options.ts";
import { HandshakeDeadlines } from "./tls-handshake.ts";
import { ownerOf, setOwner } from "./socket-owner.ts";

export interface StreamListenHooks<C extends StreamConnection> {
  /** A new connection object for an accepted socket. */
  create(socket: Socket<C>): C;
  /** Called after the module accepted it. */
  opened?(c: C): void;
  /** One read; the chunk must not be viewed (docs/platform-notes.md, "Viewing a socket chunk"): copy it or pass it on whole. */
  data(c: C, chunk: Uint8Array): void;
}

type ListenOptions<C> = TCPSocketListenOptions<C> & { reusePort?: boolean };

export function listenStream<C extends StreamConnection>(io: IoContext, entry: ListenEntry, hooks: StreamListenHooks<C>): TCPSocketListener<C> {
  const { create, opened, data } = hooks;
  const tls = tlsListenOption(entry, io.config.tls); // tls:// and https:// only
  // TLS: every connection must finish its handshake within tls.handshake_timeout_ms (tls-handshake.ts).
  const handshakes = tls === undefined ? null : (io.handshakes ??= new HandshakeDeadlines(io, io.config.tls.handshake_timeout_ms));
  const opts: ListenOptions<C> = {
    hostname: entry.hostname,
    port: entry.port,
    reusePort: true,
    tls,
    // Keep the socket writable after the peer's FIN so replies to what it sent still go out.
    allowHalfOpen: true,
    socket: {
      binaryType: "uint8array",
      open(s) {
        const c = create(s);
        setOwner(s, c);
        if (io.draining || !c.accept()) {
          c.stopReading = true;
          s.terminate();
          return;
        }
        handshakes?.opened(c);
        opened?.(c);
      },
      handshake: handshakes === null ? undefined : (s, success) => handshakes.done(s.data, success),
      data(s, chunk) {
        io.events++;
        data(ownerOf<C>(s), chunk as unknown as Uint8Array);
      },
      drain(s) {
        s.data.onDrain();
      },
      end(s) {
        s.data?.onPeerEnd();
      },
      close(s) {
        if (handshakes !== null && s.data) handshakes.closed(s.data);
        s.data?.onClose();
      },
      error(s, err) {
        io.log.debug("socket error", { conn: s.data?.id, error: err.message });
      },
    },
  };
  return Bun.listen<C>(opts);
}
