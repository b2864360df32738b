/**
 * @module pool/handler-thread
 * Entry point of a handler thread (`worker.disabled = false`): imports its own copy of the modules, calls their
 * `init` (role "handler"), and serves the records every I/O thread sends it over its ring pair — `accept`/`close`
 * for connections pinned to it, `proc` for packets, the `http` or `fetch` hook (or binary over HTTP) for requests
 * (a `fetch` hook's body fed to it as BODY records arrive: pool-body.ts) — sending
 * each answer back as a record. The hooks are called by the same code as on an I/O thread (module/hook-calls.ts
 * for accept, proc, draining and close; http/exchange.ts for a request); the answers become records in
 * handler-replies.ts and record-sink.ts. Handlers may be async and may block: only this thread waits.
 */
import { describeError, grocketdError, isGrocketdError } from "../errors.ts";
import { createLogger, RateLimitedLog, type Logger } from "../log/logger.ts";
import { loadValidatedModule, type LoadedModule } from "../module/load-module.ts";
import { ModuleRuntime } from "../module/module-runtime.ts";
import { ACCEPT_THREW, ACCEPTED, callAccept, callClose, callDraining, callProc, type ProcHook } from "../module/hook-calls.ts";
import type { FromThread, RingPair, ToHandler } from "../io/messages.ts";
import type { Config } from "../config/keys.ts";
import {
  D_FIRST, K_ACK, K_BODY, K_BODY_ABORT, K_BODY_END, K_CLOSE, K_DATAGRAM, K_DRAINING, K_HTTP_REQ, K_HTTP_RES, K_OPEN, K_PACKET, K_PS_STATE, K_REJECT, K_REPLY,
  K_WS_OPEN, Q_ROUTE, Q_STREAM, Q_TLS, R_EMPTY, R_FAIL, readerAt, readConnInfo, readRequest, responseSize, writeResponse, type PoolResponse,
} from "./pool-protocol.ts";
import { PoolBodyIn, bodyWindow } from "./pool-body.ts";
import { PooledConn } from "./pooled-conn.ts";
import { HandlerReplies, replyFlags } from "./handler-replies.ts";
import { RingLink } from "./ring-link.ts";
import { serveHttp } from "./serve-http.ts";
import { StatsSlot } from "../stats/stats-slot.ts";
import { S_ERR_UNCAUGHT, S_HTTP_REQUESTS, S_PACKETS } from "../stats/stat-fields.ts";
import { HealthSlot } from "../io/thread-health.ts";
import { catchUncaught } from "../io/uncaught.ts";
import { HandlerPubSub } from "./pubsub-handler.ts";
import type { ModuleDefinition } from "../module/types.ts";
import { setSelfModuleLoader } from "../entry-path.ts";

declare const self: Worker;

// This entry's own copy of the runtime is what its modules' `import "grocketd"` gets (entry-path.ts).
setSelfModuleLoader(() => import("../self-module.ts"));
const post = (m: FromThread): void => self.postMessage(m);

let index = 0;
let config: Config;
let log: Logger;
let noisy: RateLimitedLog;
let modules: LoadedModule[] = [];
/** The modules' hooks as this thread calls them: wrapped so the watchdog knows which one runs (io/thread-health.ts). */
let defs: ModuleDefinition<unknown>[] = [];
let stopHeartbeat: (() => void) | undefined;
let stopping = false;
let runtime: ModuleRuntime | undefined;
/** Per I/O thread link (see master/thread-supervisor.ts): the link and its connections (by their number there). */
const links: Array<{ link: RingLink; conns: Map<number, PooledConn> } | undefined> = [];
/** This thread's counters in shared memory (packets and requests handled, module counters); see stats/stats-slot.ts. */
let stats = StatsSlot.detached();
/** ctx.send / ctx.publish / conn.publish on this thread: records to the I/O threads. */
const pubsub = new HandlerPubSub(() => links);

/** The accepted connection `c` is gone and owes nothing more: the module's close hook, once. */
function runClose(c: PooledConn, conns: Map<number, PooledConn>): void {
  if (c.closeHookDone || !c.accepted) return;
  c.closeHookDone = true;
  conns.delete(c.no);
  const def = defs[c.module];
  if (def !== undefined) callClose(def, c, noisy);
}

function onPacket(replies: HandlerReplies, c: PooledConn, seq: number, packet: Uint8Array): void {
  stats.fields[S_PACKETS]++;
  const def = defs[c.module]!;
  if (def.proc === undefined) return replies.fail(c.no, seq, grocketdError("GRK_ERR_LISTEN", "noProc", { module: def.name }));
  // A push the proc makes before it returns leaves before its reply (pooled-conn.ts, procSeq), as inline.
  c.procSeq = seq;
  replies.seq = seq;
  try {
    if (callProc(replies, def.proc as ProcHook, c, packet)) replies.echo(c, packet);
  } finally {
    c.procSeq = 0;
  }
}

function attach(io: number, pair: RingPair): void {
  const conns = new Map<number, PooledConn>();
  const link = new RingLink(
    pair,
    "handler",
    (kind, no, seq, flags, bytes, off, len) => {
      if (kind === K_PACKET) {
        const c = conns.get(no);
        if (c === undefined || c.closeRequested) link.send(K_REPLY, no, seq, R_EMPTY);
        // A copy: the ring's memory is reused as soon as this returns, and an async proc may read it later.
        else onPacket(replies, c, seq, bytes.slice(off, off + len));
      } else if (kind === K_DRAINING) {
        const c = conns.get(no);
        const draining = c === undefined ? undefined : modules[c.module]?.def.draining;
        if (c === undefined || draining === undefined || c.closeRequested) link.send(K_REPLY, no, seq, R_EMPTY);
        else {
          replies.seq = seq;
          callDraining(replies, draining, c);
        }
      } else if (kind === K_DATAGRAM) {
        const base = conns.get(no);
        if (base === undefined) return link.send(K_REPLY, no, seq, R_EMPTY);
        // A datagram's packets come in a row on its listener's lane: after a close() or drop() the rest of them
        // are not processed (io/udp/udp-conn.ts), until the first packet of the next datagram.
        if ((flags & D_FIRST) !== 0) base.datagramStopped = false;
        else if (base.datagramStopped) return link.send(K_REPLY, no, seq, R_EMPTY);
        // The sender of this datagram is the conn its proc sees; UDP has no accept, close or state.
        const r = readerAt(bytes, off);
        const id = r.f64();
        const remotePort = r.u16();
        const remoteAddress = r.latin1();
        const at = r.off;
        const info = { module: base.module, id, protocol: "udp" as const, remoteAddress, remotePort, localPort: base.localPort, thread: base.thread };
        const c = new PooledConn(info, no, base.module);
        c.pubsub = pubsub;
        onPacket(replies, c, seq, bytes.slice(at, off + len));
        if (c.closeRequested) base.datagramStopped = true;
      } else if (kind === K_OPEN) {
        const info = readConnInfo(readerAt(bytes, off));
        const c = new PooledConn(info, no, info.module);
        c.link = link;
        c.pubsub = pubsub;
        conns.set(no, c);
        if (info.protocol === "udp") {
          c.accepted = true;
          return;
        }
        const def = defs[c.module];
        const accepted = def === undefined ? ACCEPTED : callAccept(def, c, noisy);
        if (accepted === ACCEPTED) c.accepted = true;
        else {
          conns.delete(no);
          // Counted where the connection lives, like every handler failure: R_FAIL makes it an errors.handler there.
          link.send(K_REJECT, no, 0, accepted === ACCEPT_THREW ? R_FAIL : 0);
        }
      } else if (kind === K_CLOSE) {
        const c = conns.get(no);
        if (c === undefined) return;
        c.gone = true;
        c.setCongested(false);
        c.response?.abort();
        c.body?.abort(null);
        c.body = null;
        if (c.inflight === 0) runClose(c, conns);
      } else if (kind === K_WS_OPEN) {
        conns.get(no)?.upgraded();
      } else if (kind === K_PS_STATE) {
        conns.get(no)?.setCongested(flags === 1);
      } else if (kind === K_HTTP_REQ) {
        const c = conns.get(no);
        if (c === undefined) return;
        const req = readRequest(readerAt(bytes, off));
        stats.fields[S_HTTP_REQUESTS]++;
        c.inflight++;
        // A `fetch` hook's body follows in BODY records, fed to its stream as they come (pool-body.ts).
        const body = (c.body = (flags & Q_STREAM) !== 0 ? new PoolBodyIn(link, no, seq, bodyWindow(config.io.high_water, link.maxPayload)) : null);
        serveHttp(defs[c.module]!, flags & Q_ROUTE, c, req, link.maxPayload - 64 - req.url.length, noisy, (flags, r: PoolResponse) => {
          link.sendEncoded(K_HTTP_RES, no, seq, flags | replyFlags(c), responseSize(r), writeResponse, r);
        }, () => settled(c), (flags & Q_TLS) !== 0 ? "https" : "http", body === null ? null : body.body.stream);
      } else if (kind === K_BODY || kind === K_BODY_END || kind === K_BODY_ABORT) {
        const body = conns.get(no)?.body;
        if (body === undefined || body === null || body.seq !== seq) return;
        if (kind === K_BODY) body.push(bytes, off, len);
        else {
          conns.get(no)!.body = null;
          if (kind === K_BODY_END) body.end();
          else body.abort(bytes, off, len);
        }
      } else if (kind === K_ACK) {
        conns.get(no)?.response?.ack();
      }
    },
    (err) => log.error("handler ring record failed", { io, error: describeError(err) }),
    stats.fields,
  );
  /** An async answer (a reply, an HTTP response) was sent: once none is owed, a closed connection's close hook runs. */
  const settled = (c: PooledConn): void => {
    if (--c.inflight === 0 && c.gone) runClose(c, conns);
  };
  const replies = new HandlerReplies(link, settled);
  // That I/O thread was replaced: its connections on this link are gone.
  detach(io);
  links[io] = { link, conns };
  link.start();
}

/** Drops link `io` (its I/O thread was replaced, or stopped after a recycle); close hooks run for its accepted connections. */
function detach(io: number): void {
  const old = links[io];
  if (!old) return;
  links[io] = undefined;
  void old.link.stop();
  for (const c of old.conns.values()) {
    c.gone = true;
    c.setCongested(false);
    c.response?.abort();
    c.body?.abort(null);
    c.body = null;
    if (c.inflight === 0) runClose(c, old.conns);
  }
}

async function start(msg: Extract<ToHandler, { t: "start" }>): Promise<void> {
  index = msg.index;
  config = msg.config;
  log = createLogger({ level: config.log.level, format: config.log.format, where: msg.proc === null ? `handler-${index}` : `p${msg.proc}/handler-${index}` });
  noisy = new RateLimitedLog(log, 20);
  if (msg.stats) stats = StatsSlot.attach(msg.stats);
  stats.resetGauges();
  const health = new HealthSlot(msg.health);
  catchUncaught(log, () => modules, () => void stats.fields[S_ERR_UNCAUGHT]++, (message) => post({ t: "faulted", message }));
  try {
    for (const ref of msg.modules) modules.push(await loadValidatedModule(ref)); // validated by the master
    defs = modules.map((m, i) => health.watchHooks(m.def, i));
    runtime = new ModuleRuntime(modules, { role: "handler", index, config, log, stats, bindings: msg.bindings, push: pubsub });
    await runtime.init(`handler thread ${index}`);
    for (const l of msg.links) attach(l.io, l.rings);
    // The watchdog's heartbeat: a timer, so a busy loop in a hook silences it (period as the I/O threads' tick).
    const stall = config.server.stall_timeout_ms;
    if (stall > 0) stopHeartbeat = health.beatEvery(Math.min(1000, Math.max(25, Math.floor(stall / 4))));
    post({ t: "listening", ports: [] });
  } catch (err) {
    post({ t: "start-failed", code: isGrocketdError(err) ? err.code : "GRK_ERR_THREAD_START", message: describeError(err) });
  }
}

async function stop(drainMs: number, recycled: boolean): Promise<void> {
  // The I/O threads have drained already (the master stops them first, and passes what is left of the drain time);
  // finish what is still running. Recycled (faulted, its replacement takes new connections): serve the connections
  // pinned here until they close (UDP listeners' lanes hold no client) or drainMs runs out.
  if (stopping) return;
  stopping = true;
  if (runtime && !recycled) runtime.stopping = true;
  const deadline = performance.now() + drainMs;
  const held = (c: PooledConn) => c.inflight > 0 || (recycled && c.protocol !== "udp");
  const busy = () => links.some((l) => l !== undefined && [...l.conns.values()].some(held));
  while (busy() && performance.now() < deadline) await Bun.sleep(recycled ? 50 : 5);
  stopHeartbeat?.();
  for (const l of links) await l?.link.stop();
  await runtime?.term();
  post({ t: "stopped" });
}

self.onmessage = (ev: MessageEvent<ToHandler>) => {
  const msg = ev.data;
  if (msg.t === "start") void start(msg);
  else if (msg.t === "stop") void stop(msg.drainMs, msg.recycled === true);
  else if (msg.t === "pool-io") attach(msg.io, msg.rings);
  else if (msg.t === "pool-io-retired") detach(msg.io);
  else if (msg.t === "draining") {
    if (runtime) runtime.stopping = true;
  } else if (msg.t === "bindings") runtime?.setBindings(msg.bindings);
};
