/**
 * @module cli/args
 * Command-line flags, split into tokens the way node:util parseArgs does (cli/arg-tokens.ts, without loading
 * node:util: ~5 ms of every start); mistakes are told in plain words (an unknown flag is named, with the nearest
 * known one).
 */
import { grocketdError } from "../errors.ts";
import { argTokens, type OptionTypes } from "./arg-tokens.ts";

export interface CliOptions {
  /** A command word: undefined (serve) or "reload" (signal a running master). */
  command?: "reload";
  pidFile?: string;
  config?: string;
  modules: string[];
  listen: string[];
  threads?: string;
  check: boolean;
  help: boolean;
  version: boolean;
}

export const usage = `grocketd: serve one-file TypeScript modules over TCP (and more) on many threads

Usage: bun run grocketd [options]
       bun run grocketd reload [--pid-file FILE | --config FILE]

Options:
  -c, --config FILE   TOML configuration file (default: $GROCKETD_CONFIG, else ./grocketd.toml if it exists)
  -m, --module FILE   module to load; repeatable (default: the bundled modules/echo.ts)
  -l, --listen URL    listen URL such as tcp://0.0.0.0:8000; repeatable, replaces server.listen
  -t, --threads N     I/O threads; 0 = one per CPU core
      --check         validate configuration and modules, print the result, exit 0 or 1
      --pid-file FILE with "reload": the running master's pid file (default: server.pid_file of the config)
  -h, --help          show this help
  -v, --version       print the version

Every setting: docs/config.md. Environment variables: GROCKETD_<SECTION>_<KEY>, e.g. GROCKETD_IO_THREADS=2.
Precedence: defaults < module config() < file < environment < flags.

Signals: SIGTERM/SIGINT drain and stop; SIGHUP (or \`grocketd reload\`) re-reads configuration and modules and
replaces the serving threads or processes by a new generation; a bad new configuration is refused and logged.
`;

interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  /** What the value is, for messages: "--config FILE". */
  readonly value?: string;
}

// No prototype: `--constructor` is an unknown option, not Object.prototype.constructor.
const OPTIONS: Record<string, OptionSpec> = Object.assign(Object.create(null) as Record<string, OptionSpec>, {
  config: { type: "string", short: "c", value: "FILE" },
  module: { type: "string", short: "m", multiple: true, value: "FILE" },
  listen: { type: "string", short: "l", multiple: true, value: "URL" },
  threads: { type: "string", short: "t", value: "N" },
  check: { type: "boolean" },
  "pid-file": { type: "string", value: "FILE" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
});

function spelled(name: string): string {
  const o = OPTIONS[name]!;
  return o.short === undefined ? `--${name}` : `-${o.short}/--${name}`;
}

/** Levenshtein distance, for "did you mean": option names are short, so the quadratic table costs nothing. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!; // the previous row's value at j, before it is overwritten
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = above;
    }
  }
  return row[b.length]!;
}

/** "unknown option -V" with the nearest known one, if any is near. */
function unknownOption(raw: string, name: string): string {
  const long = raw.startsWith("--");
  let near: string | undefined;
  if (!long) near = Object.keys(OPTIONS).find((k) => OPTIONS[k]!.short?.toLowerCase() === name.toLowerCase());
  else {
    const scored = Object.keys(OPTIONS).map((k) => [k, distance(name.toLowerCase(), k)] as const).sort((x, y) => x[1] - y[1]);
    if (scored[0] !== undefined && scored[0][1] <= Math.max(1, Math.floor(name.length / 3))) near = scored[0][0];
  }
  return `unknown option ${raw}${near === undefined ? "" : ` (did you mean ${spelled(near)}?)`}`;
}

const fail = (msg: string): never => {
  throw grocketdError("GRK_ERR_CLI", "usage", { problem: msg });
};

/**
 * Parses argv. The tokens are those of Node's parseArgs in lenient mode (strict mode words its errors for its own
 * API: "To specify a positional argument starting with a '-', place it at the end of the command after '--'"), and
 * every mistake is judged here, in the words of this command's --help.
 */
export function parseCli(argv: readonly string[]): CliOptions {
  const tokens = argTokens(argv, OPTIONS as OptionTypes);
  const values: Record<string, string | string[] | boolean> = {};
  const positionals: string[] = [];
  const isOption = (arg: string) => arg.startsWith("--") ? arg.slice(2).split("=")[0]! in OPTIONS : /^-[A-Za-z]$/.test(arg);
  for (const t of tokens) {
    if (t.kind === "positional") {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== "option") continue;
    const spec = OPTIONS[t.name];
    if (spec === undefined) fail(unknownOption(t.rawName, t.name) + (argv[t.index] !== t.rawName && !argv[t.index]!.startsWith("--") ? ` in ${argv[t.index]}` : ""));
    const o = spec!;
    if (o.type === "boolean") {
      if (t.value !== undefined) fail(`${t.rawName} takes no value (write ${t.rawName} alone, not ${t.rawName}=${t.value})`);
      values[t.name] = true;
      continue;
    }
    const how = `${t.rawName} ${o.value}`;
    if (t.value === undefined) fail(`${t.rawName} needs a value (${how})`);
    if (!t.inlineValue && isOption(t.value!)) fail(`${t.rawName} needs a value, but the next argument is the option ${t.value} (${how}; write ${t.rawName}=${t.value} if the value really starts with "-")`);
    if (o.multiple) ((values[t.name] ??= []) as string[]).push(t.value!);
    else if (values[t.name] !== undefined) fail(`${t.rawName} was given twice (${JSON.stringify(values[t.name])} and ${JSON.stringify(t.value)}); give it once`);
    else values[t.name] = t.value!;
  }
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== "reload")) {
    const extra = positionals.find((p) => p !== "reload") ?? positionals[1]!;
    fail(`unexpected argument ${JSON.stringify(extra)} (the only command is "reload"; options start with "-")`);
  }
  return {
    command: positionals[0] === "reload" ? "reload" : undefined,
    pidFile: values["pid-file"] as string | undefined,
    config: values.config as string | undefined,
    modules: (values.module as string[] | undefined) ?? [],
    listen: (values.listen as string[] | undefined) ?? [],
    threads: values.threads as string | undefined,
    check: values.check === true,
    help: values.help === true,
    version: values.version === true,
  };
}
