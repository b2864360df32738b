/**
 * @module http/request-metrics
 * What an HTTP connection records of each request: when it began and ended (the duration histogram), its status
 * class and request count (the thread's statistics), and its access-log line (access-line.ts, when the log is on).
 * The clock is read once per read event (`eventT`, 0 outside one; the listener's reading, which the Date line shares)
 * and shared by every request the event completes
 * and every response it finishes: at ~80 ns a read, a clock per request cost a 16-deep pipeline a quarter of its
 * throughput, and time spent inside one event (microseconds) cannot move a request out of the histogram's first
 * bucket (0.5 ms).
 */
import type { IoContext } from "../io/io-context.ts";
import { observeDuration } from "../stats/duration-histogram.ts";
import { S_HTTP_REQUESTS, statusClassField } from "../stats/stat-fields.ts";
import type { HttpAccessLine } from "./access-line.ts";
import type { RequestParser } from "./llhttp/parser.ts";

export class RequestMetrics {
  /** performance.now() when the current request's head began (0: it began in the read event that completes it). */
  private headT0 = 0;
  /** The read event's clock (0 outside one). */
  private eventT = 0;
  /** The start of the request being answered. */
  private start = 0;

  constructor(
    private readonly io: IoContext,
    /** The thread's request-duration histograms and this listener's offset in them (read when a request ends). */
    private readonly histograms: { readonly durations: Float64Array; readonly durationBase: number },
    /** The access-log line, when the log is on. */
    readonly access: HttpAccessLine | null,
  ) {}

  /** `now`: performance.now() at the start of the read event (the caller's reading). */
  eventBegan(now: number): void {
    this.eventT = now;
  }

  eventEnded(): void {
    this.eventT = 0;
  }

  /** The first bytes of a request's head arrived. */
  headBegan(): void {
    this.headT0 = this.eventT;
  }

  /** The request is complete (its head, or all of it): it is counted, and its line noted while `p` holds its head. */
  requestBegan(p: RequestParser): void {
    this.io.stats[S_HTTP_REQUESTS]++;
    const t = this.headT0 !== 0 ? this.headT0 : this.eventT;
    this.start = t !== 0 ? t : performance.now();
    this.headT0 = 0;
    if (this.access !== null) this.access.noteRequest(p, this.start);
  }

  /** Its response is finished: `code` and the body bytes sent. */
  answered(code: number, bodyBytes: number): void {
    const f = statusClassField(code);
    if (f >= 0) this.io.stats[f]++;
    const end = this.eventT !== 0 ? this.eventT : performance.now();
    observeDuration(this.histograms.durations, this.histograms.durationBase, code, end - this.start);
    if (this.access?.pending) this.access.line(code, bodyBytes, end);
  }

  /** The server refused the request with a canned `status` (its head may be half parsed). */
  rejected(status: number, bodyBytes: number): void {
    this.io.stats[statusClassField(status)]++;
    const end = performance.now();
    const start = this.headT0 === 0 ? end : this.headT0;
    this.headT0 = 0;
    observeDuration(this.histograms.durations, this.histograms.durationBase, status, end - start);
    this.access?.rejected(status, bodyBytes, start, end);
  }

  /** The connection closed with the request unanswered: logged with the status already sent, or 499. */
  closedUnanswered(status: number, bodyBytes: number): void {
    if (this.access?.pending) this.access.line(status, bodyBytes, performance.now());
  }

  /** A WebSocket upgrade's answer (101, or a refusal). */
  upgraded(status: number): void {
    const f = statusClassField(status);
    if (f >= 0) this.io.stats[f]++;
    this.access?.line(status, 0, performance.now());
  }
}
