/**
 * @module cli/args
 * Command-line flags, parsed with node:util parseArgs (strict: an unknown flag is an error that names it).
 */
import { parseArgs } from "node:util";
import { ErrorCodes, GrocketdError, describeError } from "../errors.ts";

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

export function parseCli(argv: readonly string[]): CliOptions {
  let values: Record<string, string | string[] | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        module: { type: "string", short: "m", multiple: true },
        listen: { type: "string", short: "l", multiple: true },
        threads: { type: "string", short: "t" },
        check: { type: "boolean" },
        "pid-file": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    }));
  } catch (err) {
    throw new GrocketdError(ErrorCodes.CLI, `${describeError(err)} (see --help)`, { cause: err });
  }
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== "reload")) {
    throw new GrocketdError(ErrorCodes.CLI, `unexpected argument "${positionals.find((p) => p !== "reload") ?? positionals[1]}" (the only command is "reload"; see --help)`);
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
