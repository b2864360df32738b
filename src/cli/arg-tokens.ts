/**
 * @module cli/arg-tokens
 * Splits argv into option and positional tokens exactly as Bun's node:util `parseArgs({ strict: false, tokens: true,
 * allowPositionals: true })` does (same kinds, names, raw names, values, inline flags and argv indexes), so
 * cli/args.ts can judge them without importing node:util, whose load was ~5 ms of every start (bench/startup.ts).
 * The rules, as in Node: `--` ends the options; `-f` takes the next argument as its value when f is a string
 * option (whatever that argument looks like); `-abc` is a group of short options, where a string option in the
 * middle takes the rest of the group as its value (`-vcFILE` = `-v -cFILE`); `-fVALUE` and `--name=value` carry an
 * inline value; anything else is a positional. test/cli/arg-tokens.test.ts compares it with node:util token by token.
 */

export interface OptionType {
  readonly type: "string" | "boolean";
  readonly short?: string;
}

/** Option table by long name (own properties only count, as in Node). */
export type OptionTypes = Readonly<Record<string, OptionType>>;

export type ArgToken =
  | { kind: "positional"; index: number; value: string }
  | { kind: "option-terminator"; index: number }
  | { kind: "option"; index: number; name: string; rawName: string; value: string | undefined; inlineValue: boolean | undefined };

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function longFor(short: string, options: OptionTypes): string {
  for (const k of Object.keys(options)) if (options[k]!.short === short) return k;
  return short;
}

const isString = (name: string, options: OptionTypes): boolean => has(options, name) && options[name]!.type === "string";

/**
 * An option without an inline value (`-f`, `--name`): a string option takes the next argument as its value, which
 * then has an argv index of its own. Returns the index the next argument gets counted from.
 */
function optionWithNext(tokens: ArgToken[], name: string, rawName: string, index: number, rest: string[], options: OptionTypes): number {
  if (isString(name, options) && rest.length > 0) {
    tokens.push({ kind: "option", name, rawName, index, value: rest.shift()!, inlineValue: false });
    return index + 1;
  }
  tokens.push({ kind: "option", name, rawName, index, value: undefined, inlineValue: undefined });
  return index;
}

export function argTokens(args: readonly string[], options: OptionTypes): ArgToken[] {
  const tokens: ArgToken[] = [];
  const rest = [...args];
  let index = -1;
  let groupCount = 0; // expanded parts of a short group share the group's index
  while (rest.length > 0) {
    const arg = rest.shift()!;
    if (groupCount > 0) groupCount--;
    else index++;
    if (arg === "--") {
      tokens.push({ kind: "option-terminator", index });
      for (const a of rest) tokens.push({ kind: "positional", index: ++index, value: a });
      break;
    }
    const short = arg.length >= 2 && arg[0] === "-" && arg[1] !== "-";
    if (short && arg.length === 2) {
      index = optionWithNext(tokens, longFor(arg[1]!, options), arg, index, rest, options);
      continue;
    }
    if (short && !isString(longFor(arg[1]!, options), options)) {
      const expanded: string[] = [];
      for (let i = 1; i < arg.length; i++) {
        const c = arg[i]!;
        if (!isString(longFor(c, options), options) || i === arg.length - 1) expanded.push(`-${c}`);
        else {
          expanded.push(`-${arg.slice(i)}`);
          break;
        }
      }
      rest.unshift(...expanded);
      groupCount = expanded.length;
      continue;
    }
    if (short) {
      const c = arg[1]!;
      tokens.push({ kind: "option", name: longFor(c, options), rawName: `-${c}`, index, value: arg.slice(2), inlineValue: true });
      continue;
    }
    if (arg.length > 2 && arg.startsWith("--")) {
      // Bun's rule (its node:util, test/cli/arg-tokens.test.ts): only a first "=" after the name's first character
      // starts an inline value; `--=a=b` is an option named "=a=b".
      const eq = arg.indexOf("=");
      if (eq < 3) index = optionWithNext(tokens, arg.slice(2), arg, index, rest, options);
      else {
        const name = arg.slice(2, eq);
        tokens.push({ kind: "option", name, rawName: `--${name}`, index, value: arg.slice(eq + 1), inlineValue: true });
      }
      continue;
    }
    tokens.push({ kind: "positional", index, value: arg });
  }
  return tokens;
}
