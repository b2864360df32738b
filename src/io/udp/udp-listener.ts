/**
 * @module io/udp/udp-listener
 * Opens one `udp://` listen entry in this I/O thread. Every I/O thread binds the same port with SO_REUSEPORT, so
 * the kernel spreads datagrams over the threads by the sender's address and port (one client socket always lands on
 * the same thread). Each datagram is framed by the module's `check` and answered by `proc` (udp-framing.ts); the
 * replies of one event-loop turn leave in one batched send (udp-reply-batch.ts).
 *
 * There are no connections: `accept`/`close` hooks do not run; each sender has a conn that lives while it is active
 * (udp-senders.ts). While the socket is bound, the kernel keeps handing
 * it a share of the port's datagrams, so it answers them through a drain too (ignoring them would lose them). On a
 * stop it closes at the end of the thread's drain; it takes part in that drain through `io.conns` only while async
 * replies are owed. On a reload it closes as soon as nothing is owed (closeWhenDone), so the new generation serves
 * the port alone.
 */
import type { ListenEntry } from "../../config/listen-url.ts";
import { describeError, grocketdError } from "../../errors.ts";
import type { Housekept, IoContext } from "../io-context.ts";
import type { UdpService } from "./udp-conn.ts";
import { createDatagramHandler } from "./udp-framing.ts";
import { newUdpStats, type UdpStats } from "./udp-replies.ts";
import { UdpReplyBatch } from "./udp-reply-batch.ts";
import { bunHonoursReusePort, openBunTransport, openDgramTransport, type UdpBackend, type UdpTransport } from "./udp-transport.ts";

export type { UdpStats } from "./udp-replies.ts";
export type { UdpBackend } from "./udp-transport.ts";
export type { UdpService } from "./udp-conn.ts";

export interface UdpListenOptions {
  /**
   * "auto" (default): Bun.udpSocket with SO_REUSEPORT when this Bun honours it, else node:dgram. "bun" / "dgram"
   * force one (benchmarks and tests).
   */
  backend?: "auto" | UdpBackend;
}

export interface UdpListener {
  /** The bound port (the one picked by the kernel when the entry says port 0). */
  readonly port: number;
  readonly backend: UdpBackend;
  /** Live counters of this listener (this thread only). */
  readonly stats: Readonly<UdpStats>;
  /** Bytes of datagrams kept alive by pending async replies (bounded: udp-replies.ts). */
  readonly heldBytes: number;
  /** Closes the socket now; async replies that settle later are counted as unsent. Idempotent. */
  stop(): void;
  /** Closes the socket once no async reply is owed (at once if none is). */
  closeWhenDone(): void;
}

export async function listenUdp(io: IoContext, entry: ListenEntry, service: UdpService, opts: UdpListenOptions = {}): Promise<UdpListener> {
  const module = service.def.name;
  if (typeof service.def.proc !== "function") {
    throw grocketdError("GRK_ERR_LISTEN", "udpNoProc", { url: entry.url, module });
  }
  const stats = newUdpStats();
  let transport: UdpTransport | null = null;
  let closed = false;
  let closing = false;
  let sweeper: ReturnType<typeof setInterval> | null = null;

  const batch = new UdpReplyBatch(stats, (count) =>
    io.noisy.warn("UDP replies refused by the kernel; dropped", { module, port: transport?.port, count }),
  );

  const stop = (): void => {
    if (closed) return;
    closed = true;
    if (sweeper !== null) clearInterval(sweeper);
    handler.senders.clear();
    io.conns.delete(keeper);
    batch.flush();
    batch.attach(null);
    transport?.close();
  };

  // Takes part in the thread's drain only while async replies are owed (see the header).
  const keeper: Housekept = {
    id: io.newConnId(),
    quiescent: () => handler.owed === 0,
    closeWhenDone() {
      closing = true;
      if (handler.owed === 0) stop();
    },
    terminate: () => stop(),
    tick() {},
  };

  // The module's backend gives the proc (io/backend.ts): its own inline; in pool mode each packet crosses to a
  // handler thread, which to the read path is an async proc.
  let boundPort = 0;
  const served: UdpService = { ...service, def: { ...service.def, proc: service.backend.datagramProc(() => boundPort) } };
  const handler = createDatagramHandler(io, served, stats, batch, {
    owing(owed) {
      if (owed) io.conns.add(keeper);
      else {
        io.conns.delete(keeper);
        if (closing) stop();
      }
    },
    get closed() {
      return closed;
    },
  });

  const onError = (err: Error): void => {
    stats.socketErrors++;
    io.noisy.warn("UDP socket error", { module, port: transport?.port, error: describeError(err) });
  };

  const want = opts.backend ?? "auto";
  try {
    if (want === "dgram" || (want === "auto" && !(await bunHonoursReusePort(entry.hostname)))) {
      if (want === "auto") io.log.info("Bun.udpSocket does not set SO_REUSEPORT here; serving UDP through node:dgram", { url: entry.url });
      transport = await openDgramTransport(entry.hostname, entry.port, handler.onDatagram, onError);
    } else {
      transport = await openBunTransport(entry.hostname, entry.port, handler.onDatagram, handler.onTruncated, onError);
    }
  } catch (err) {
    throw grocketdError("GRK_ERR_LISTEN", "failed", { url: entry.url, reason: describeError(err) }, { cause: err });
  }
  handler.bound(transport.port);
  // Senders idle past io.idle_timeout_ms leave the table (udp-senders.ts); one timer per listener, not per sender.
  const idle = handler.senders.idleMs;
  if (idle > 0) {
    sweeper = setInterval(() => handler.senders.sweep(performance.now()), Math.max(1000, idle));
    sweeper.unref?.();
  }
  boundPort = transport.port;
  batch.attach(transport);
  const t = transport;
  return {
    port: t.port,
    backend: t.backend,
    stats,
    get heldBytes() {
      return handler.heldBytes;
    },
    stop,
    closeWhenDone: () => keeper.closeWhenDone(),
  };
}
