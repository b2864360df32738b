/**
 * @module log/logger
 * Structured log lines: `time level where [module] message key=value...` (text) or one JSON object per line.
 * debug/info go to stdout, warn/error to stderr, as 12-factor operators expect. Each thread owns one logger;
 * the thread label ("master", "io-0", ...) is fixed at creation so a line says where it came from.
 */
import { codeOf, describeError } from "../errors.ts";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "text" | "json";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines carry `module=<name>`. */
  child(module: string): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where the line comes from: "master", "io-0", "handler-1". */
  where: string;
  module?: string;
  /** For tests: collect lines instead of writing them. */
  sink?: (level: LogLevel, line: string) => void;
}

function quote(v: string): string {
  return /^[^\s"=]*$/.test(v) && v !== "" ? v : JSON.stringify(v);
}

// Bun's own writers of fds 1 and 2, not process.stdout/stderr: the same ordered, non-blocking writes (a stalled
// reader does not stall the thread; what is still queued at exit is lost the same way), but making process.stdout
// loads node:stream, ~15 ms of CPU before the first line of every start and in every thread (bench/startup.ts).
let stdoutSink: import("bun").FileSink | undefined;
let stderrSink: import("bun").FileSink | undefined;

const ignore = (): void => {};

function defaultSink(level: LogLevel, line: string): void {
  const sink = rank[level] >= rank.warn ? (stderrSink ??= Bun.stderr.writer()) : (stdoutSink ??= Bun.stdout.writer());
  try {
    sink.write(line + "\n");
    const pending = sink.flush();
    if (typeof pending === "object") pending.catch(ignore);
  } catch {
    // The reader is gone (EPIPE): nowhere to write the line to; serving goes on (process.stdout would have thrown
    // from an 'error' event and ended the process).
  }
}

export function createLogger(opts: LoggerOptions): Logger {
  const min = rank[opts.level];
  const sink = opts.sink ?? defaultSink;
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (rank[level] < min) return;
    const time = new Date().toISOString();
    let line: string;
    if (opts.format === "json") {
      const obj: Record<string, unknown> = { time, level, where: opts.where };
      if (opts.module) obj.module = opts.module;
      obj.msg = msg;
      if (fields) for (const k in fields) if (fields[k] !== undefined) obj[k] = fields[k];
      line = JSON.stringify(obj);
    } else {
      line = `${time} ${level.padEnd(5)} ${opts.where}${opts.module ? ` [${opts.module}]` : ""} ${msg}`;
      if (fields) {
        for (const k in fields) {
          const v = fields[k];
          if (v !== undefined) line += ` ${k}=${typeof v === "string" ? quote(v) : String(v)}`;
        }
      }
    }
    sink(level, line);
  };
  return {
    level: opts.level,
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (module) => createLogger({ ...opts, module }),
    enabled: (level) => rank[level] >= min,
  };
}

/** Frames of a stack trace kept in a log line: enough to find the module's line, bounded like everything else. */
const STACK_FRAMES = 8;

/** The `at ...` frames of an error's stack, joined with " | " (one log line per event), or undefined. */
export function stackOf(err: unknown): string | undefined {
  const stack = err instanceof Error ? err.stack : undefined;
  if (typeof stack !== "string") return undefined;
  const frames = stack.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("at "));
  return frames.length === 0 ? undefined : frames.slice(0, STACK_FRAMES).join(" | ");
}

/**
 * Lets at most `perSecond` lines of one kind through per second and then says how many it swallowed, so a flood of
 * bad packets cannot turn the log into the bottleneck. This is where every hook failure of a thread is logged: given
 * the thrown value, a line carries `error` (its message) and `stack` (its frames) — at most `stacksPerMinute` stacks
 * per module and minute; past that, `stacks_suppressed` counts the lines of this minute that went without one.
 */
export class RateLimitedLog {
  private windowStart = 0;
  private count = 0;
  private suppressed = 0;
  /** module name → stacks written in the current minute, and lines that went without one. */
  private readonly stacks = new Map<string, { start: number; written: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly perSecond = 10,
    private readonly stacksPerMinute = 5,
  ) {}

  /** `err`: what the hook threw or rejected with (adds `error` and, within the module's budget, `stack`). */
  warn(msg: string, fields?: LogFields, err?: unknown): void {
    this.emit("warn", msg, fields, err);
  }

  error(msg: string, fields?: LogFields, err?: unknown): void {
    this.emit("error", msg, fields, err);
  }

  private emit(level: "warn" | "error", msg: string, fields: LogFields | undefined, err: unknown): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      if (this.suppressed > 0) this.log.warn("log lines suppressed by rate limit", { suppressed: this.suppressed });
      this.windowStart = now;
      this.count = 0;
      this.suppressed = 0;
    }
    if (++this.count > this.perSecond) {
      this.suppressed++;
      return;
    }
    if (err !== undefined) fields = this.withError(fields ?? {}, err, now);
    this.log[level](msg, fields);
  }

  private withError(fields: LogFields, err: unknown, now: number): LogFields {
    const code = codeOf(err);
    const out: LogFields = { ...fields, error: fields.error ?? describeError(err), ...(code === undefined ? {} : { code }) };
    const stack = stackOf(err);
    if (stack === undefined) return out;
    const key = typeof fields.module === "string" ? fields.module : "";
    let s = this.stacks.get(key);
    if (s === undefined || now - s.start >= 60_000) this.stacks.set(key, (s = { start: now, written: 0, suppressed: 0 }));
    if (s.written < this.stacksPerMinute) {
      s.written++;
      out.stack = stack;
    } else out.stacks_suppressed = ++s.suppressed;
    return out;
  }
}
