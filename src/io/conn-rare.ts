/**
 * @module io/conn-rare
 * What a stream connection needs only on rare paths, in one object made on first use (stream-output.ts `rare`): its
 * read gate (a pause or a backlog), its accept time and bytes read and sent (only when the access log is on), when a full ring to the handler
 * threads paused it (pool mode), its topics and the `conn.drained()` callers. An idle connection holds one null field
 * for all of them: every field is memory of every connection (issue 17), and a connection object of 19 to 26 fields
 * takes 224 bytes of heap, 27 to 30 take 256 (docs/platform-notes.md). HTTP's own rare state extends it (http/http-rare.ts).
 */
import type { ReadGate } from "./read-gate.ts";

export class ConnRare {
  /** The read gate (read-gate.ts), made on the first pause or backlog. */
  gate: ReadGate | null = null;
  /** performance.now() at accept, when the access log is on (durations); 0 otherwise. */
  openedAt = 0;
  /** When a full ring to the handler thread paused reading, on the thread's coarse clock; -1 = not paused for it. */
  ringSince = -1;
  /** This connection's topics (the pubsub hub's Subscriber contract); null until the first subscribe. */
  subs: Set<string> | null = null;
  /** Bytes read and bytes the kernel took, counted while this object exists: from accept when the access log is on. */
  bytesIn = 0;
  bytesOut = 0;
  /** Packets served (tcp/line-connection.ts), counted likewise. */
  packets = 0;
  /** Callers waiting in `conn.drained()`. */
  pushDrainWaiters: Array<() => void> | null = null;
}
