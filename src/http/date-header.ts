/**
 * @module http/date-header
 * The `Date` header (RFC 9110 §6.6.1: an origin server with a clock MUST send it) rendered at most once a second
 * per thread. `version` changes when the text does, so cached responses know when to re-render.
 */

export class DateHeader {
  /** "Date: Thu, 26 Nov 2026 16:00:00 GMT\r\n" */
  line = "";
  /** Bumped each time `line` changes. */
  version = 0;
  private second = -1;

  constructor() {
    this.refresh();
  }

  /** Cheap when called many times a second: one Date.now() and a compare. */
  refresh(now = Date.now()): void {
    const s = Math.floor(now / 1000);
    if (s === this.second) return;
    this.second = s;
    this.line = `Date: ${new Date(s * 1000).toUTCString()}\r\n`;
    this.version++;
  }
}
