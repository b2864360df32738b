/**
 * @module http/date-header
 * The `Date` header (RFC 9110 §6.6.1: an origin server with a clock MUST send it) rendered at most once a second
 * per thread. `version` changes when the text does, so cached responses know when to re-render.
 * A read event already reads the monotonic clock once (request-metrics.ts, for the duration histogram); `at()` turns
 * that reading into wall time with an offset, so a read costs no second clock call. The offset is re-measured by
 * `refresh()` (the listener's timer, once a second), so a stepped wall clock is followed within a second.
 */

export class DateHeader {
  /** "Date: Thu, 26 Nov 2026 16:00:00 GMT\r\n" */
  line = "";
  /** Bumped each time `line` changes. */
  version = 0;
  private second = -1;
  /** Date.now() − performance.now(), as of the last refresh(). */
  private offset = 0;

  constructor() {
    this.refresh();
  }

  /** Reads the wall clock: re-measures the offset and renders the line if the second changed. */
  refresh(): void {
    const now = Date.now();
    this.offset = now - performance.now();
    this.render(now);
  }

  /** The same from a performance.now() reading the caller already has: an add, a floor and a compare. */
  at(mono: number): void {
    this.render(mono + this.offset);
  }

  private render(now: number): void {
    const s = Math.floor(now / 1000);
    if (s === this.second) return;
    this.second = s;
    this.line = `Date: ${new Date(s * 1000).toUTCString()}\r\n`;
    this.version++;
  }
}
