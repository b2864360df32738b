/**
 * @module cli/args
 * Command-line flags, parsed with node:util parseArgs (strict: an unknown flag is an error that names it).
 */
import { parseArgs } from "node:util";
import { ErrorCodes, GrocketdError, describeError } from "../errors.ts";

export interface CliOptions {
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

Options:
  -c, --config FILE   TOML configuration file (default: $GROCKETD_CONFIG, else ./grocketd.toml if it exists)
  -m, --module FILE   module to load; repeatable (default: the bundled modules/echo.ts)
  -l, --listen URL    listen URL such as tcp://0.0.0.0:8000; repeatable, replaces server.listen
  -t, --threads N     I/O threads; 0 = one per CPU core
      --check         validate configuration and modules, print the result, exit 0 or 1
  -h, --help          show this help
  -v, --version       print the version

Every setting: docs/config.md. Environment variables: GROCKETD_<SECTION>_<KEY>, e.g. GROCKETD_IO_THREADS=2.
Precedence: defaults < module config() < file < environment < flags.
`;

export function parseCli(argv: readonly string[]): CliOptions {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string", short: "c" },
        module: { type: "string", short: "m", multiple: true },
        listen: { type: "string", short: "l", multiple: true },
        threads: { type: "string", short: "t" },
        check: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    }));
  } catch (err) {
    throw new GrocketdError(ErrorCodes.CLI, `${describeError(err)} (see --help)`, { cause: err });
  }
  return {
    config: values.config as string | undefined,
    modules: (values.module as string[] | undefined) ?? [],
    listen: (values.listen as string[] | undefined) ?? [],
    threads: values.threads as string | undefined,
    check: values.check === true,
    help: values.help === true,
    version: values.version === true,
  };
}
