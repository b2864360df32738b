/**
 * @module log/logger
 * Structured log lines: `time level where [module] message key=value...` (text) or one JSON object per line.
 * debug/info go to stdout, warn/error to stderr, as 12-factor operators expect. Each thread owns one logger;
 * the thread label ("master", "io-0", ...) is fixed at creation so a line says where it came from.
 */

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

function defaultSink(level: LogLevel, line: string): void {
  (rank[level] >= rank.warn ? process.stderr : process.stdout).write(line + "\n");
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

/**
 * Lets at most `perSecond` lines of one kind through per second and then says how many it swallowed, so a flood of
 * bad packets cannot turn the log into the bottleneck.
 */
export class RateLimitedLog {
  private windowStart = 0;
  private count = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly perSecond = 10,
  ) {}

  warn(msg: string, fields?: LogFields): void {
    this.emit("warn", msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.emit("error", msg, fields);
  }

  private emit(level: "warn" | "error", msg: string, fields?: LogFields): void {
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
    this.log[level](msg, fields);
  }
}
