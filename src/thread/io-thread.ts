/**
 * @module thread/io-thread
 * Entry point of an I/O thread (a Bun Worker), and the one place that knows both backends (io/backend.ts): it picks
 * inline (inline/) or the handler pool (pool/) for the thread, and wires the listeners of every transport (io/tcp,
 * io/udp, http/) to it. It imports its own copy of the modules (objects are per thread), calls their thread `init`
 * in library dependency order, listens on every entry with SO_REUSEPORT, and serves until the master says stop;
 * then it stops accepting, lets in-flight replies finish within the drain time, calls `term` (reverse order), and
 * reports back.
 * Signals never reach workers in Bun (docs/platform-notes.md, "Signals and Workers"): the master forwards them as messages.
 */
import { describeError, grocketdError, isGrocketdError } from "../errors.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { loadValidatedModule, type LoadedModule } from "../module/load-module.ts";
import { ModuleRuntime } from "../module/module-runtime.ts";
import { withPort } from "../config/listen-url.ts";
import { startHousekeeping } from "../io/housekeeping.ts";
import { IoContext } from "../io/io-context.ts";
import type { FromThread, StopMode, ToThread } from "../io/messages.ts";
import type { ModuleRef } from "../module/binding.ts";
import { adoptLlhttpModule, listenHttp } from "../http/http-listener.ts";
import type { PoolBackend } from "../pool/pool-backend.ts";
import { InlineBackend } from "../inline/inline-backend.ts";
import { InlineHttp } from "../inline/inline-http.ts";
import { StatsSlot } from "../stats/stats-slot.ts";
import { Mesh } from "../pubsub/mesh.ts";
import { HealthSlot } from "../io/thread-health.ts";
import { catchUncaught } from "../io/uncaught.ts";
import { S_ERR_UNCAUGHT } from "../stats/stat-fields.ts";
import { startupMark } from "../log/startup-trace.ts";
import { provideSelfModule, setSelfModuleLoader } from "../entry-path.ts";

declare const self: Worker;

startupMark("I/O thread", "script-loaded"); // this Worker's module graph is evaluated
// What a module's `import "grocketd"` gets does not depend on the plan, so it is made ready while this thread waits
// for its start message (a prewarmed thread waits for the master's validation). A failure is not lost: the first
// module import awaits the same promise and reports it (module/load-module.ts).
setSelfModuleLoader(() => import("../self-module.ts"));
provideSelfModule().catch(() => {});

const post = (m: FromThread): void => self.postMessage(m);

let io: IoContext | undefined;
let log: Logger | undefined;
let modules: LoadedModule[] = [];
let listeners: Array<{ stop(closeActive?: boolean): void }> = [];
let udpListeners: Array<{ stop(): void; closeWhenDone(): void }> = [];
let stopHousekeeping: (() => void) | undefined;
let stopping = false;
/** The handler pool's side of this thread, in pool mode (the master's pool-handler-* messages go to its lanes). */
let pool: PoolBackend | null = null;

/**
 * Imports begun on a "preload" message (a prewarmed thread, before its start message), by file and name, in
 * configuration order; start() takes them instead of importing again. Bounded by the plan's module list.
 */
let preloaded: Map<string, Promise<LoadedModule>> | undefined;
const refKey = (ref: ModuleRef): string => `${ref.name}\0${ref.file}`;

function preload(refs: readonly ModuleRef[]): void {
  if (preloaded !== undefined || io !== undefined) return; // once, and only before the start message
  preloaded = new Map();
  let prev: Promise<unknown> = Promise.resolve();
  for (const ref of refs) {
    // One after the other, as start() imports them; a failure is reported by start(), which awaits the same promise.
    const p = prev.then(() => loadValidatedModule(ref));
    p.catch(() => {});
    preloaded.set(refKey(ref), p);
    prev = p.catch(() => {});
  }
}

/** This thread's modules as hooks see them: init order, contexts with the runtime library, objects, counters. */
let runtime: ModuleRuntime | undefined;

async function start(msg: Extract<ToThread, { t: "start" }>): Promise<void> {
  const where = `I/O thread ${msg.index}`;
  startupMark(where, "start-message");
  log = createLogger({ level: msg.config.log.level, format: msg.config.log.format, where: msg.proc === null ? `io-${msg.index}` : `p${msg.proc}/io-${msg.index}` });
  io = new IoContext(msg.index, msg.config, log);
  // io.cpu_affinity; before any module code runs here. What the plan does not use is not loaded: every I/O thread
  // loads its own copy of what it imports (bench/startup.ts "worker start"), so CPU pinning (bun:ffi), the handler
  // pool, the access log and the TCP and UDP listeners are imported only by a thread that needs them.
  if (msg.config.io.cpu_affinity.length > 0) (await import("../io/cpu-affinity.ts")).pinThread(msg.index, msg.config.io.cpu_affinity, log);
  // Counters live in the slot the master gave this thread (a replacement carries on the dead thread's counts).
  const slot = msg.stats ? StatsSlot.attach(msg.stats) : StatsSlot.detached();
  slot.resetGauges();
  io.stats = slot.fields;
  io.slot = slot;
  // Heartbeat and current hook for the master's watchdog; beaten by the housekeeping tick once the thread serves.
  const health = new HealthSlot(msg.health);
  catchUncaught(log, () => modules, () => void io!.stats[S_ERR_UNCAUGHT]++, (message) => post({ t: "faulted", message }));
  try {
    if (msg.llhttp !== undefined) adoptLlhttpModule(msg.llhttp); // compiled and verified once, by the master
    for (const ref of msg.modules) modules.push(await (preloaded?.get(refKey(ref)) ?? loadValidatedModule(ref))); // validated by the master
    startupMark(where, "modules-imported");
    // `modules` stays in configuration order (listeners find theirs by name or index); init follows `requires`.
    const thread = io;
    const hub = thread.pubsub;
    if (msg.mesh) {
      hub.mesh = new Mesh(msg.mesh, () => thread.stats, {
        published: (topic, bytes, except) => void hub.deliver(topic, bytes, except),
        sent: (id, bytes) => void hub.sendLocal(id, bytes),
      }, log);
    }
    runtime = new ModuleRuntime(modules, { role: "thread", index: msg.index, config: msg.config, log, bindings: msg.bindings, stats: slot, push: hub });
    await runtime.init(`thread ${msg.index}`);
    startupMark(where, "modules-init-done");
    if (msg.pool !== null) {
      pool = new (await import("../pool/pool-backend.ts")).PoolBackend(io, msg.pool, log);
      pool.servePubsub(hub, () => thread.stats);
      io.backend = pool;
    } else io.backend = new InlineBackend(io);
    const httpBackend = pool !== null ? new (await import("../pool/pool-http.ts")).PoolHttp() : new InlineHttp();
    io.accessLog = msg.config.access_log.path === "" ? null : await (await import("../access-log/access-log.ts")).openAccessLog(msg.config, io.stats, log);
    const isTcp = (p: string): boolean => p === "tcp" || p === "tls";
    const isHttp = (p: string): boolean => p === "http" || p === "https" || p === "ws" || p === "wss";
    const tcp = msg.bindings.some((b) => isTcp(b.entry.protocol)) ? await import("../io/tcp/tcp-listener.ts") : undefined;
    const udp = msg.bindings.some((b) => !isTcp(b.entry.protocol) && !isHttp(b.entry.protocol)) ? await import("../io/udp/udp-listener.ts") : undefined;
    const ports: number[] = [];
    for (const b of msg.bindings) {
      const moduleIndex = modules.findIndex((x) => x.def.name === b.module);
      const m = modules[moduleIndex]!;
      const def = health.watchHooks(m.def, moduleIndex);
      const service = {
        def, moduleIndex, log: log.child(m.def.name), maxPacket: msg.config.io.max_packet, highWater: msg.config.io.high_water, backend: io.backend.forModule(def, moduleIndex),
      };
      try {
        let l: { port: number; stop(closeActive?: boolean): void };
        if (isTcp(b.entry.protocol)) l = tcp!.listenTcp(io, b.entry, service);
        else if (isHttp(b.entry.protocol)) l = listenHttp(io, b.entry, service, httpBackend);
        else {
          // A UDP socket is closed only after the drain: async replies still owed go out through it.
          const u = await udp!.listenUdp(io, b.entry, service);
          udpListeners.push(u);
          ports.push(u.port);
          continue;
        }
        listeners.push(l);
        ports.push(l.port);
      } catch (err) {
        // Keep the code across the thread boundary: the master reports it (start-failed carries it).
        throw grocketdError("GRK_ERR_LISTEN", "failed", { url: b.entry.url, reason: describeError(err) }, { cause: err, ...(isGrocketdError(err) ? { code: err.code } : {}) });
      }
    }
    stopHousekeeping = startHousekeeping(io, () => health.beat());
    runtime.setBindings(msg.bindings.map((b, i) => (ports[i] === undefined ? b : { ...b, entry: withPort(b.entry, ports[i]!) })));
    startupMark(where, "listening");
    post({ t: "listening", ports });
  } catch (err) {
    for (const l of listeners) l.stop(true);
    for (const u of udpListeners) u.stop();
    await io.accessLog?.close();
    await runtime?.term(); // the modules that did init get their term and release their objects
    post({ t: "start-failed", code: isGrocketdError(err) ? err.code : "GRK_ERR_THREAD_START", message: describeError(err) });
  }
}

async function stop(drainMs: number, mode: StopMode): Promise<void> {
  if (stopping || !io) return;
  stopping = true;
  if (runtime) runtime.stopping = true;
  io.draining = true;
  for (const l of listeners) l.stop(false);
  const deadline = performance.now() + drainMs;
  if (mode === "reload") {
    // A newer generation serves new connections. HTTP clients are told to reconnect (Connection: close on their next
    // response); a TCP session cannot move, so it is served on until shortly before the drain time runs out.
    // UDP: the new generation's sockets share the port, so the old ones close as soon as they owe no replies.
    for (const u of udpListeners) u.closeWhenDone();
    for (const c of [...io.conns]) {
      if (c.moveOn) c.moveOn();
      else if (c.protocol !== "tcp") c.closeWhenDone();
    }
    const lastCall = deadline - Math.min(1000, drainMs / 4);
    while (io.conns.size > 0 && performance.now() < lastCall) await Bun.sleep(10);
  }
  for (const c of [...io.conns]) c.closeWhenDone();
  while (io.conns.size > 0 && performance.now() < deadline) await Bun.sleep(10);
  if (io.conns.size > 0) {
    log!.warn("drain time over; cutting connections", { open: io.conns.size, drain_ms: drainMs });
    for (const c of [...io.conns]) c.terminate("drain time over");
    const cut = performance.now() + 1000;
    while (io.conns.size > 0 && performance.now() < cut) await Bun.sleep(5);
  }
  for (const u of udpListeners) u.stop();
  stopHousekeeping?.();
  await io.accessLog?.close(); // the connections' last lines, written before the thread reports stopped
  await pool?.stop();
  await io.pubsub.mesh?.stop();
  await runtime?.term(); // reverse init order; logs failures and this thread's counters
  post({ t: "stopped" });
}

self.onmessage = (ev: MessageEvent<ToThread>) => {
  const msg = ev.data;
  if (msg.t === "start") void start(msg);
  else if (msg.t === "stop") void stop(msg.drainMs, msg.mode);
  else if (msg.t === "preload") preload(msg.modules);
  else if (msg.t === "pool-handler") pool?.client.replace(msg.handler, msg.rings);
  else if (msg.t === "pool-handler-lost") pool?.client.lost(msg.handler);
  else if (msg.t === "pool-handler-recycle") pool?.client.recycle(msg.handler, msg.rings);
  else if (msg.t === "pool-handler-retired") pool?.client.retired(msg.handler);
  else if (msg.t === "mesh-peer") io?.pubsub.mesh?.setPeer(msg.peer, msg.out, msg.in);
};
