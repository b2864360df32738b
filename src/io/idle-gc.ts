/**
 * @module io/idle-gc
 * A full garbage collection of the I/O thread's heap once it has gone quiet after many connections let go of memory.
 * An HTTP keep-alive connection drops its request state when the housekeeping tick parks it (http/request-state.ts)
 * and a closed connection drops everything, but that garbage is old by then (it lived through the requests), so only
 * a full collection frees it, and JSC starts one only when the heap grows: a server that goes idle after a burst would
 * keep it for ever (issue 17, bench/idle-memory.ts: about 0.8 KiB of RSS per idle HTTP connection). `Bun.gc(false)`
 * does not collect it (an eden collection: measured, nothing freed); `Bun.gc(true)` does, synchronously (about 17 ms
 * with 10,000 idle connections on a thread). So it runs only from the tick, never on the data path, and only when
 * all of these hold: io.idle_gc_after connections (or more) released memory since the last one, the thread read no
 * byte during the whole last tick (nobody is being served), and io.idle_gc_interval_ms passed since the last one.
 */

export class IdleGc {
  /** Connections that let go of memory (a request state parked, a connection closed) since the last collection. */
  released = 0;
  /** Collections run (tests; the thread's log has a debug line for each). */
  runs = 0;
  private last = -Infinity;
  private bytesInAtTick = -1;

  /**
   * `after`: io.idle_gc_after (0 = never); `intervalMs`: io.idle_gc_interval_ms; `collect`: the collection (a test
   * passes its own).
   */
  constructor(
    private readonly after: number,
    private readonly intervalMs: number,
    private readonly collect: () => void = () => Bun.gc(true),
  ) {}

  /** At each housekeeping tick; `bytesIn`: the thread's bytes read so far. True when it collected now. */
  tick(now: number, bytesIn: number): boolean {
    const quiet = bytesIn === this.bytesInAtTick;
    this.bytesInAtTick = bytesIn;
    if (this.after === 0 || this.released < this.after || !quiet || now - this.last < this.intervalMs) return false;
    this.released = 0;
    this.last = now;
    this.runs++;
    this.collect();
    return true;
  }
}
