/**
 * @module http/access-line
 * An HTTP connection's access-log line: with the access log on, the request line and start time are kept until its
 * response is finished (or the connection is gone), then one line is logged. Exists only when the log is on.
 */
import type { AccessLog } from "../access-log/access-log.ts";
import type { StreamConnection } from "../io/stream-connection.ts";
import type { RequestParser } from "./llhttp/parser.ts";

export class HttpAccessLine {
  /** When the current request's head began (performance.now(); 0 = take the time at its completion). */
  private t0 = 0;
  private start = 0;
  private method = "-";
  private target = "-";
  private version = "-";
  /** A request was received and its line is not logged yet. */
  pending = false;

  constructor(
    private readonly log: AccessLog,
    private readonly conn: StreamConnection,
  ) {}

  headBegan(): void {
    this.t0 = performance.now();
  }

  /** Keeps the request line now, while the parser still holds it. */
  noteRequest(p: RequestParser): void {
    this.start = this.t0 === 0 ? performance.now() : this.t0;
    this.t0 = 0;
    this.method = p.methodName();
    this.target = p.url();
    this.version = `${p.versionMajor}.${p.versionMinor}`;
    this.pending = true;
  }

  /** A request refused by the server itself: its request line may be half parsed, so it is not logged. */
  rejected(status: number, bytesOut: number): void {
    this.method = this.target = this.version = "-";
    this.start = this.t0 === 0 ? performance.now() : this.t0;
    this.line(status, bytesOut);
  }

  line(status: number, bytesOut: number): void {
    this.pending = false;
    const c = this.conn;
    this.log.http({
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      method: this.method,
      target: this.target,
      version: this.version,
      status,
      bytesOut,
      durationMs: performance.now() - this.start,
      module: c.svc.def.name,
      thread: c.thread,
    });
  }
}
