/**
 * @module log/startup-trace
 * `GROCKETD_STARTUP_TRACE=1`: start-up phase marks on stderr, one line each, `grocketd-startup <where> <phase> <ms>`,
 * where ms is wall-clock time since the epoch with sub-millisecond precision (performance.timeOrigin + now(), which
 * every thread of the process shares), so bench/startup.ts can place the marks of the master and of every thread on
 * one time line against its own spawn time. Off by default; off, a mark is one boolean test. Start-up only: never
 * called on the data path.
 */

const ON = process.env.GROCKETD_STARTUP_TRACE === "1";

/** Whether marks are written (for a caller that would compute something only for a mark). */
export const startupTraceOn = ON;

/** Writes one mark; `at` is an epoch time in ms (default: now). */
export function startupMark(where: string, phase: string, at = performance.timeOrigin + performance.now()): void {
  if (!ON) return;
  startupTraceLine(`grocketd-startup ${where} ${phase} ${at.toFixed(3)}\n`);
}

let sink: import("bun").FileSink | undefined;

/** Writes a trace line to stderr through Bun's writer: process.stderr would load node:stream (~15 ms) and so
 * distort the very start it measures. */
export function startupTraceLine(text: string): void {
  sink ??= Bun.stderr.writer();
  sink.write(text);
  const pending = sink.flush();
  if (typeof pending === "object") pending.catch(() => {});
}
