// Runs one TCP or HTTP listener of the real data path inside the test process, so tests can look at connection state
// (queued bytes, hook calls) directly. Process-level behaviour (threads, signals) is tested with test/helpers/grocketd.ts.
import { defaultConfig, type Config } from "../../src/config/keys.ts";
import { parseListenUrl, type ListenEntry } from "../../src/config/listen-url.ts";
import { startHousekeeping } from "../../src/io/housekeeping.ts";
import { IoContext } from "../../src/io/io-context.ts";
import { listenTcp } from "../../src/io/tcp/tcp-listener.ts";
import { listenHttp } from "../../src/http/http-listener.ts";
import { createLogger, type LogLevel } from "../../src/log/logger.ts";
import type { ModuleDefinition } from "../../src/module/types.ts";
import type { RingPair } from "../../src/io/messages.ts";
import { PoolBackend } from "../../src/pool/pool-backend.ts";
import { InlineBackend } from "../../src/inline/inline-backend.ts";
import { InlineHttp } from "../../src/inline/inline-http.ts";
import { PoolHttp } from "../../src/pool/pool-http.ts";

export interface InProcessServer {
  port: number;
  io: IoContext;
  logs: string[];
  stop(): void;
}

export function startInProcess<S>(
  def: ModuleDefinition<S>,
  io: Partial<Config["io"]> = {},
  opts: {
    protocol?: "tcp" | "http" | "tls" | "ws";
    http?: Partial<Config["http"]>;
    ws?: Partial<Config["ws"]>;
    /** ws:// entries: the WebSocket path. */
    path?: string;
    pool?: RingPair[];
    tls?: { cert: string; key: string };
    /** Listen URL options, e.g. "?binary=/b". */
    query?: string;
  } = {},
): InProcessServer {
  const config = defaultConfig();
  Object.assign(config.io, io);
  Object.assign(config.http, opts.http ?? {});
  Object.assign(config.ws, opts.ws ?? {});
  if (opts.tls) Object.assign(config.tls, opts.tls);
  const logs: string[] = [];
  const log = createLogger({ level: "debug" as LogLevel, format: "text", where: "io-0", sink: (_l, line) => logs.push(line) });
  const ctx = new IoContext(0, config, log);
  // Pool mode with handler rings the test drives itself (no handler threads).
  ctx.backend = opts.pool ? new PoolBackend(ctx, opts.pool, log) : new InlineBackend(ctx);
  const protocol = opts.protocol ?? "tcp";
  const entry = parseListenUrl(`${protocol}://127.0.0.1:0${opts.path ?? ""}${opts.query ?? ""}`);
  if (typeof entry === "string") throw new Error(entry);
  const svc = {
    def: def as ModuleDefinition<unknown>, moduleIndex: 0, log, maxPacket: config.io.max_packet, highWater: config.io.high_water,
    backend: ctx.backend.forModule(def as ModuleDefinition<unknown>, 0),
  };
  const listener = protocol === "http" || protocol === "ws" ? listenHttp(ctx, entry, svc, opts.pool ? new PoolHttp() : new InlineHttp()) : listenTcp(ctx, entry, svc);
  const stopHk = startHousekeeping(ctx);
  return {
    port: listener.port,
    io: ctx,
    logs,
    stop() {
      stopHk();
      listener.stop(true);
      void ctx.backend.stop();
    },
  };
}

/**
 * Counts, on the server's only connection, socket writes and ends of events (read events and async flushes), so a
 * test can check the corking rule: one write per event.
 */
export function countWritesPerEvent(server: InProcessServer): { readonly writes: number; readonly events: number } {
  const conn = [...server.io.conns][0] as unknown as { socket: { write: (...a: unknown[]) => number }; endEvent(): void };
  const n = { writes: 0, events: 0 };
  const write = conn.socket.write.bind(conn.socket);
  conn.socket.write = (...a: unknown[]) => (n.writes++, write(...a));
  const endEvent = conn.endEvent.bind(conn);
  conn.endEvent = () => (n.events++, endEvent());
  return n;
}
