// One I/O thread of the UDP harness (a Bun Worker): what src/thread/io-thread.ts will do for a udp:// entry — its own
// IoContext and module copy, listenUdp with SO_REUSEPORT, housekeeping — and nothing else.

import { defaultConfig } from "../src/config/keys.ts";
import { parseListenUrl, type ListenEntry } from "../src/config/listen-url.ts";
import { describeError } from "../src/errors.ts";
import { startHousekeeping } from "../src/io/housekeeping.ts";
import { IoContext } from "../src/io/io-context.ts";
import { listenUdp, type UdpBackend, type UdpListener, type UdpStats } from "../src/io/udp/udp-listener.ts";
import { createLogger } from "../src/log/logger.ts";
import { loadModule } from "../src/module/load-module.ts";
import { InlineBackend } from "../src/inline/inline-backend.ts";

export type ToThread =
  | { t: "start"; index: number; module: string; url: string; backend: "auto" | UdpBackend }
  | { t: "stop" };
export type FromThread =
  | { t: "listening"; port: number; backend: UdpBackend }
  | { t: "failed"; message: string }
  | { t: "stopped"; stats: UdpStats };

declare const self: Worker;
const post = (m: FromThread) => self.postMessage(m);
let listener: UdpListener | undefined;
let stopHk: (() => void) | undefined;

async function start(m: Extract<ToThread, { t: "start" }>): Promise<void> {
  try {
    const config = defaultConfig();
    const log = createLogger({ level: config.log.level, format: config.log.format, where: `io-${m.index}` });
    const io = new IoContext(m.index, config, log);
    io.backend = new InlineBackend(io);
    const mod = await loadModule(m.module);
    // Thread init hooks are not run: the benchmark and test modules have none, and the hook context belongs to the
    // real I/O thread (src/thread/io-thread.ts).
    if (mod.def.init) throw new Error(`${m.module}: the UDP harness does not run init hooks; use a module without one`);
    const entry = parseListenUrl(m.url) as ListenEntry;
    const svc = { def: mod.def, log: log.child(mod.def.name), maxPacket: config.io.max_packet, backend: io.backend.forModule(mod.def, 0) };
    listener = await listenUdp(io, entry, svc, { backend: m.backend });
    stopHk = startHousekeeping(io);
    post({ t: "listening", port: listener.port, backend: listener.backend });
  } catch (err) {
    post({ t: "failed", message: describeError(err) });
  }
}

self.onmessage = (ev: MessageEvent<ToThread>) => {
  const m = ev.data;
  if (m.t === "start") void start(m);
  else {
    stopHk?.();
    listener?.stop();
    post({ t: "stopped", stats: { ...(listener?.stats ?? ({} as UdpStats)) } });
  }
};
