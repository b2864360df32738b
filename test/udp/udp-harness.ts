// Runs one UDP listener of the real data path inside the test process (as test/helpers/in-process.ts does for TCP),
// and a small UDP client that collects the datagrams it gets back.
import type { udp } from "bun";
import { defaultConfig, type Config } from "../../src/config/keys.ts";
import { parseListenUrl, type ListenEntry } from "../../src/config/listen-url.ts";
import { IoContext } from "../../src/io/io-context.ts";
import { listenUdp, type UdpListener, type UdpListenOptions } from "../../src/io/udp/udp-listener.ts";
import { createLogger, type LogLevel } from "../../src/log/logger.ts";
import type { ModuleDefinition } from "../../src/module/types.ts";
import { InlineBackend } from "../../src/inline/inline-backend.ts";

export interface UdpServer {
  port: number;
  io: IoContext;
  listener: UdpListener;
  logs: string[];
  stop(): void;
}

export async function startUdpServer<S>(
  def: ModuleDefinition<S>,
  io: Partial<Config["io"]> = {},
  opts: UdpListenOptions & { url?: string } = {},
): Promise<UdpServer> {
  const config = defaultConfig();
  Object.assign(config.io, io);
  const logs: string[] = [];
  const log = createLogger({ level: "debug" as LogLevel, format: "text", where: "io-0", sink: (_l, line) => logs.push(line) });
  const ctx = new IoContext(0, config, log);
  ctx.backend = new InlineBackend(ctx);
  const entry = parseListenUrl(opts.url ?? "udp://127.0.0.1:0") as ListenEntry;
  const listener = await listenUdp(
    ctx,
    entry,
    { def: def as ModuleDefinition<unknown>, log, maxPacket: config.io.max_packet, backend: ctx.backend.forModule(def as ModuleDefinition<unknown>, 0) },
    opts,
  );
  return { port: listener.port, io: ctx, listener, logs, stop: () => listener.stop() };
}

export interface UdpClient {
  readonly port: number;
  /** Every datagram received so far, in arrival order. */
  readonly got: Uint8Array[];
  send(data: Uint8Array | string): void;
  /** Resolves once `count` datagrams have arrived in total; rejects after `ms`. */
  waitFor(count: number, ms?: number): Promise<Uint8Array[]>;
  /** Waits `ms` and returns what arrived (to show that nothing more comes). */
  settle(ms: number): Promise<Uint8Array[]>;
  close(): void;
}

export async function udpClient(serverPort: number, host = "127.0.0.1"): Promise<UdpClient> {
  const got: Uint8Array[] = [];
  let wake: (() => void) | null = null;
  const sock: udp.ConnectedSocket<"uint8array"> = await Bun.udpSocket({
    binaryType: "uint8array",
    connect: { hostname: host, port: serverPort },
    socket: {
      data(_s, d) {
        got.push(d);
        wake?.();
      },
    },
  });
  return {
    port: sock.port,
    got,
    send: (d) => void sock.send(d),
    async waitFor(count, ms = 2000) {
      const deadline = performance.now() + ms;
      while (got.length < count) {
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`expected ${count} datagrams, got ${got.length} within ${ms} ms`);
        await new Promise<void>((res) => {
          wake = res;
          setTimeout(res, Math.min(left, 50));
        });
        wake = null;
      }
      return got;
    },
    async settle(ms) {
      await Bun.sleep(ms);
      return got;
    },
    close: () => sock.close(),
  };
}

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
