/**
 * @module pubsub/conn-id
 * Connection ids name their thread: io/io-context.ts makes them as `counter * 1024 + thread index` (io.threads is
 * at most 1024), so any thread can tell from an id alone which I/O thread owns the connection. Ids stay safe
 * integers for 2^43 connections per thread.
 */

export const THREADS_PER_ID = 1024;

/** The I/O thread index an id belongs to. */
export function threadOfId(id: number): number {
  return id % THREADS_PER_ID;
}
