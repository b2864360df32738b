/**
 * @module io/housekeeping
 * The thread's timer: refreshes the coarse clock and closes idle connections. Bun's socket.timeout() fires once,
 * about 4 s late, and does not re-arm (docs/platform-notes.md, "Socket writes and timeouts"), so timeouts are ours: one interval per thread,
 * ticking at a quarter of the shortest configured timeout (between 50 ms and 1 s); each connection checks its own,
 * so a timeout fires between its length and its length plus two ticks.
 * The same tick samples the handler-pool ring depths into the thread's stats (gauges no packet should pay for), and
 * beats the thread's heartbeat for the master's watchdog (io/thread-health.ts): hence server.stall_timeout_ms is
 * among the timeouts that set the period. Last, the thread's idle garbage collection (io/idle-gc.ts) may run: after the
 * connections' checks, which park the idle HTTP ones.
 */
import { S_BYTES_IN, S_RING_FROM_HANDLERS, S_RING_TO_HANDLERS } from "../stats/stat-fields.ts";
import type { IoContext } from "./io-context.ts";

export function startHousekeeping(io: IoContext, beat: () => void = () => {}): () => void {
  const { io: ioc, http, server } = io.config;
  const timeouts = [ioc.idle_timeout_ms, http.head_timeout_ms, http.body_timeout_ms, http.body_deadline_ms, http.keep_alive_timeout_ms, server.stall_timeout_ms].filter((t) => t > 0);
  const ws = io.config.ws;
  timeouts.push(...[ws.ping_interval_ms, ws.idle_timeout_ms, ws.close_timeout_ms].filter((t) => t > 0));
  if (io.handshakes !== null && io.config.tls.handshake_timeout_ms > 0) timeouts.push(io.config.tls.handshake_timeout_ms);
  const shortest = timeouts.length > 0 ? Math.min(...timeouts) : 4000;
  const tick = Math.min(1000, Math.max(50, Math.floor(shortest / 4)));
  let prev = io.clock;
  const timer = setInterval(() => {
    beat();
    const now = (io.clock = performance.now());
    // Activity is stamped with io.clock, the time of the tick before it: an event stamped s happened up to one gap
    // between ticks later. The checks look back from one gap ago, so a timeout fires at its length or after it
    // (by at most two ticks), never before: the client is given all of the time it is promised.
    const at = now - Math.max(tick, now - prev);
    prev = now;
    for (const c of io.conns) c.tick(at);
    io.handshakes?.sweep(at);
    if (io.idleGc.tick(now, io.stats[S_BYTES_IN]!)) io.log.debug("idle garbage collection", { ms: Math.round(performance.now() - now) });
    const q = io.backend.queued();
    if (q !== null) {
      io.stats[S_RING_TO_HANDLERS] = q.toHandlers;
      io.stats[S_RING_FROM_HANDLERS] = q.fromHandlers;
    }
  }, tick);
  return () => clearInterval(timer);
}
