/**
 * @module access-log/access-log
 * One I/O thread's access log: lines are formatted on the thread and appended to an in-memory batch; the batch is
 * written asynchronously (line-sink.ts) when it reaches FLUSH_BYTES or every `access_log.flush_ms`, with at most one
 * write in flight. Nothing on the data path ever waits for the disk. The batch is bounded by
 * `access_log.buffer_bytes`: when the disk (or whoever reads stdout) cannot keep up, further lines are dropped and
 * counted (S_ACCESS_DROPPED, `grocketd_access_log_dropped_total`) and a warning says how many, rather than letting
 * memory grow or the thread block. A failed write drops its batch the same way.
 */
import type { Config } from "../config/keys.ts";
import { describeError, grocketdError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { S_ACCESS_DROPPED, S_ACCESS_LINES } from "../stats/stat-fields.ts";
import { httpLine, tcpLine, type AccessLogFormat, type HttpEntry, type TcpEntry } from "./access-log-format.ts";
import { compileTemplate, NEED_ALL } from "../config/log-template.ts";
import { openLineSink, type LineSink } from "./line-sink.ts";

/** A batch this large is written without waiting for the timer. */
const FLUSH_BYTES = 64 * 1024;
/** At most one "lines dropped" or "write failed" warning per this many milliseconds. */
const WARN_EVERY_MS = 5000;

export interface AccessLogOptions {
  readonly format: AccessLogFormat;
  /** Upper bound of unwritten lines (characters, about bytes), besides the one batch being written. */
  readonly bufferBytes: number;
  readonly flushMs: number;
}

export class AccessLog {
  private batch: string[] = [];
  private size = 0;
  private writing: Promise<void> | null = null;
  private closed = false;
  private readonly timer: ReturnType<typeof setInterval>;
  private dropped = 0;
  private lastWarn = 0;
  /** toISOString() of the last millisecond a line was made in: lines of one millisecond share it. */
  private timeMs = -1;
  private timeText = "";
  /** NEED_* bits (config/log-template.ts): which request headers a line uses, so the connection looks up only those. */
  readonly needs: number;

  constructor(
    private readonly sink: LineSink,
    private readonly opts: AccessLogOptions,
    /** The thread's fixed counters (stat-fields.ts). */
    private readonly stats: Float64Array,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => this.flush(), opts.flushMs);
    this.needs = typeof opts.format === "object" ? opts.format.needs : NEED_ALL;
  }

  static async open(path: string, opts: AccessLogOptions, stats: Float64Array, log: Logger): Promise<AccessLog> {
    return new AccessLog(await openLineSink(path), opts, stats, log);
  }

  http(e: HttpEntry): void {
    this.add(httpLine(this.opts.format, this.now(), e));
  }

  tcp(e: TcpEntry): void {
    this.add(tcpLine(this.opts.format, this.now(), e));
  }

  private now(): string {
    const t = Date.now();
    if (t !== this.timeMs) {
      this.timeMs = t;
      this.timeText = new Date(t).toISOString();
    }
    return this.timeText;
  }

  private add(line: string): void {
    if (this.closed || this.size + line.length > this.opts.bufferBytes) {
      this.stats[S_ACCESS_DROPPED]++;
      this.dropped++;
      return;
    }
    this.batch.push(line);
    this.size += line.length;
    this.stats[S_ACCESS_LINES]++;
    if (this.size >= FLUSH_BYTES) this.flush();
  }

  /** Starts writing the batch unless a write is in flight (its completion starts the next). */
  private flush(): void {
    if (this.dropped > 0) this.warnDropped();
    if (this.writing !== null || this.batch.length === 0) return;
    const lines = this.batch;
    const text = lines.length === 1 ? lines[0]! : lines.join("");
    this.batch = [];
    this.size = 0;
    this.writing = this.sink.write(text).then(
      () => this.written(),
      (err) => {
        this.stats[S_ACCESS_DROPPED] += lines.length;
        this.dropped += lines.length;
        this.warn(`access log: writing to ${this.sink.where} failed; lines dropped`, { error: describeError(err) });
        this.written();
      },
    );
  }

  private written(): void {
    this.writing = null;
    if (this.size >= FLUSH_BYTES || (this.closed && this.batch.length > 0)) this.flush();
  }

  private warnDropped(): void {
    if (this.warn("access log: lines dropped; the writer could not keep up (see access_log.buffer_bytes)", { dropped: this.dropped, to: this.sink.where })) {
      this.dropped = 0;
    }
  }

  private warn(msg: string, fields: Record<string, string | number>): boolean {
    const now = performance.now();
    if (now - this.lastWarn < WARN_EVERY_MS && this.lastWarn !== 0) return false;
    this.lastWarn = now;
    this.log.warn(msg, fields);
    return true;
  }

  /** Writes what is buffered and closes the sink; gives up after `timeoutMs` (a stalled disk must not stall stop). */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    const drained = (async () => {
      this.flush();
      while (this.writing !== null) {
        await this.writing;
        this.flush();
      }
      return true;
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((res) => (timer = setTimeout(() => res(false), timeoutMs)));
    const done = await Promise.race([drained, late]);
    clearTimeout(timer);
    if (!done) {
      this.log.warn("access log: not all lines were written before stop", { pending: this.batch.length, to: this.sink.where });
      return;
    }
    if (this.dropped > 0) this.log.warn("access log: lines dropped", { dropped: this.dropped, to: this.sink.where });
    await this.sink.close().catch(() => {});
  }
}

/** `access_log.format` compiled (config validation has refused a template that does not compile). */
export function accessLogFormat(format: string): AccessLogFormat {
  if (format === "text" || format === "json") return format;
  const t = compileTemplate(format);
  if (typeof t === "string") throw grocketdError("GRK_ERR_ACCESS_LOG", "format", { problem: t });
  return t;
}

/** The thread's access log per `[access_log]`, or null when it is off; GRK_ERR_ACCESS_LOG when it cannot be opened. */
export async function openAccessLog(config: Config, stats: Float64Array, log: Logger): Promise<AccessLog | null> {
  const c = config.access_log;
  if (c.path === "") return null;
  try {
    return await AccessLog.open(c.path, { format: accessLogFormat(c.format), bufferBytes: c.buffer_bytes, flushMs: c.flush_ms }, stats, log);
  } catch (err) {
    throw grocketdError("GRK_ERR_ACCESS_LOG", "open", { path: JSON.stringify(c.path), reason: describeError(err) }, { cause: err });
  }
}
