// cli/arg-tokens.ts replaces node:util parseArgs (lenient mode, tokens) at start-up; these tests hold it to
// node:util's own tokens, so every message cli/args.ts builds from them stays the same.
import { describe, expect, test } from "bun:test";
import { parseArgs } from "node:util";
import { argTokens, type OptionTypes } from "../../src/cli/arg-tokens.ts";
import { parseCli } from "../../src/cli/args.ts";

const OPTIONS: OptionTypes = {
  config: { type: "string", short: "c" },
  module: { type: "string", short: "m" },
  threads: { type: "string", short: "t" },
  check: { type: "boolean" },
  "pid-file": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
};

function nodeTokens(argv: string[]): unknown[] {
  return parseArgs({ args: argv, strict: false, allowPositionals: true, tokens: true, options: OPTIONS as never }).tokens!;
}

// Every shape an argument can take: lone, grouped, inline and missing values, terminators, unknown names.
const WORDS = [
  "-c", "-m", "-t", "-h", "-v", "-x", "-V", "-", "--", "-cv", "-vc", "-vx", "-xv", "-hvc", "-vcFILE", "-cFILE", "-c=x",
  "-t2", "-vt", "--config", "--config=a", "--config=", "--check", "--check=yes", "--thread", "--=x", "--=a=b", "---x",
  "--pid-file", "--pid-file=p", "--constructor", "--toString=1", "a.ts", "reload", "", "=", "-=", "--module", "-ct",
];

describe("argTokens", () => {
  test("gives node:util parseArgs' tokens for every sequence of up to 3 of the argument shapes", () => {
    let n = 0;
    const check = (argv: string[]) => {
      expect({ argv, tokens: argTokens(argv, OPTIONS) }).toEqual({ argv, tokens: nodeTokens(argv) as never });
      n++;
    };
    check([]);
    for (const a of WORDS) {
      check([a]);
      for (const b of WORDS) {
        check([a, b]);
        for (const c of WORDS) check([a, b, c]);
      }
    }
    expect(n).toBe(1 + WORDS.length + WORDS.length ** 2 + WORDS.length ** 3);
  });

  test("longer command lines (fixed pseudo-random sample) also match node:util", () => {
    let seed = 17;
    const rnd = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % k);
    for (let i = 0; i < 3000; i++) {
      const argv = Array.from({ length: 4 + rnd(5) }, () => WORDS[rnd(WORDS.length)]!);
      expect({ argv, tokens: argTokens(argv, OPTIONS) }).toEqual({ argv, tokens: nodeTokens(argv) as never });
    }
  });

  test("an option named like an Object.prototype property is unknown, not a crash or a value-taking option", () => {
    expect(() => parseCli(["--constructor"])).toThrow(/unknown option --constructor/);
    expect(() => parseCli(["--toString=1"])).toThrow(/unknown option --toString/);
  });
});
