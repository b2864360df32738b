// A tiny `--name value` / `--flag` argument reader for the bench scripts (no dependency, strict about typos).

export type ArgSpec = Record<string, "string" | "number" | "boolean">;
export type ParsedArgs<S extends ArgSpec> = {
  [K in keyof S]?: S[K] extends "number" ? number : S[K] extends "boolean" ? boolean : string;
};

export function parseArgs<S extends ArgSpec>(argv: readonly string[], spec: S, usage: string): ParsedArgs<S> {
  const out: Record<string, string | number | boolean> = {};
  const fail = (msg: string): never => {
    process.stderr.write(`${msg}\n${usage}\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    if (!arg.startsWith("--")) fail(`unexpected argument: ${arg}`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const kind = spec[name];
    if (!kind) fail(`unknown option --${name}`);
    if (kind === "boolean") {
      out[name] = value === undefined ? true : value !== "false" && value !== "0";
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) fail(`--${name} needs a value`);
      value = argv[++i]!;
    }
    if (kind === "number") {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n)) fail(`--${name}: not a number: ${value}`);
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  return out as ParsedArgs<S>;
}
