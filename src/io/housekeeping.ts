/**
 * @module io/housekeeping
 * The thread's timer: refreshes the coarse clock and closes idle connections. Bun's socket.timeout() fires once,
 * about 4 s late, and does not re-arm (research bun-platform §1), so idle handling is ours: one interval per thread,
 * ticking at a quarter of the idle timeout (between 50 ms and 1 s).
 */
import type { IoContext } from "./io-context.ts";

export function startHousekeeping(io: IoContext): () => void {
  const idle = io.config.io.idle_timeout_ms;
  const tick = idle > 0 ? Math.min(1000, Math.max(50, Math.floor(idle / 4))) : 1000;
  const timer = setInterval(() => {
    const now = (io.clock = performance.now());
    if (idle <= 0) return;
    for (const c of io.conns) {
      if (now - c.lastActive >= idle && !c.busy()) c.idleTimeout();
    }
  }, tick);
  return () => clearInterval(timer);
}
