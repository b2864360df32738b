/**
 * @module config/toml-locate
 * Bun.TOML reports neither line nor column, so errors are located here. A small tolerant scanner walks the file once
 * the way TOML nests (tables, dotted keys, inline tables, arrays, multi-line strings, comments) and notes where each
 * key and each array element starts, and which constructs are still open at the end of every line. Then:
 * - the line of a key is looked up by its full path, `modules.x.limits.max` inside an inline table as well as
 *   `server.listen[1]` inside a multi-line array (the element's own line);
 * - a file that fails to parse goes wrong at the first line L such that lines 1..L, with the constructs open after L
 *   closed, no longer parse. Closing them is what lets a prefix end inside a multi-line array or inline table: the
 *   earlier "longest prefix that parses" blamed the line that opened the array for any error inside it.
 * Best effort by design; it only decorates error messages.
 */

type OpenKind = "array" | "inline table" | "multi-line string";

interface Open {
  readonly kind: OpenKind;
  /** What closes it. */
  readonly closer: string;
  readonly line: number;
}

interface Scan {
  /** Dotted paths (array elements as `.N`) → 1-based line where the key or element starts; first one wins. */
  readonly keys: Map<string, number>;
  /** Table headers `[a.b]` → line. */
  readonly headers: Map<string, number>;
  /** open[L] = the constructs open at the end of line L (outermost first). */
  readonly open: Open[][];
}

const BARE = /[A-Za-z0-9_-]/;

function scan(s: string): Scan {
  const keys = new Map<string, number>();
  const headers = new Map<string, number>();
  const open: Open[][] = [[]];
  const stack: Open[] = [];
  let i = 0;
  let line = 1;
  const n = s.length;

  const newline = () => {
    open[line] = stack.slice();
    line++;
  };
  const at = (t: string) => s.startsWith(t, i);
  const set = (path: readonly string[], l: number) => {
    const k = path.join(".");
    if (!keys.has(k)) keys.set(k, l);
  };
  /** Spaces, tabs and comments; newlines too when `lines`. */
  const skip = (lines: boolean) => {
    while (i < n) {
      const c = s[i]!;
      if (c === " " || c === "\t" || c === "\r") i++;
      else if (c === "#") while (i < n && s[i] !== "\n") i++;
      else if (c === "\n" && lines) {
        i++;
        newline();
      } else return;
    }
  };
  /** A one-line string starting at s[i] (quote char); returns its text, stops at an unescaped quote or the line end. */
  const oneLine = (q: string): string => {
    const start = ++i;
    while (i < n && s[i] !== q && s[i] !== "\n") i += q === '"' && s[i] === "\\" ? 2 : 1;
    const text = s.slice(start, Math.min(i, n));
    if (s[i] === q) i++;
    return text;
  };
  const multiLine = (q: string) => {
    stack.push({ kind: "multi-line string", closer: q, line });
    i += 3;
    while (i < n) {
      if (at(q)) {
        i += 3;
        for (let extra = 0; extra < 2 && s[i] === q[0]; extra++) i++; // up to two quotes may end the content
        stack.pop();
        return;
      }
      if (q === '"""' && s[i] === "\\") i++;
      if (s[i] === "\n") {
        i++;
        newline();
      } else i++;
    }
  };
  const key = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skip(false);
      const c = s[i];
      if (c === '"' || c === "'") parts.push(oneLine(c));
      else {
        const start = i;
        while (i < n && BARE.test(s[i]!)) i++;
        if (i === start) return parts;
        parts.push(s.slice(start, i));
      }
      skip(false);
      if (s[i] !== ".") return parts;
      i++;
    }
  };
  const value = (path: string[]) => {
    skip(false);
    const c = s[i];
    if (at('"""') || at("'''")) multiLine(s.slice(i, i + 3));
    else if (c === '"' || c === "'") oneLine(c);
    else if (c === "[") container(path, "array", "]");
    else if (c === "{") container(path, "inline table", "}");
    else while (i < n && !",]}\n#".includes(s[i]!)) i++;
  };
  const keyValue = (prefix: readonly string[]): boolean => {
    const l = line;
    const parts = key();
    if (parts.length === 0) return false;
    skip(false);
    if (s[i] !== "=") return false;
    i++;
    const path = [...prefix, ...parts];
    set(path, l);
    value(path);
    return true;
  };
  const container = (path: string[], kind: OpenKind, closer: string) => {
    stack.push({ kind, closer, line });
    i++;
    let index = 0;
    while (i < n) {
      skip(true);
      if (i >= n) return;
      const c = s[i]!;
      if (c === closer) {
        i++;
        stack.pop();
        return;
      }
      const before = i;
      if (c === ",") i++;
      else if (kind === "array") {
        const elem = [...path, String(index++)];
        set(elem, line);
        value(elem);
      } else keyValue(path);
      if (i === before) i++; // not TOML: step over it rather than stall
    }
  };

  let table: string[] = [];
  while (i < n) {
    skip(true);
    if (i >= n) break;
    const before = i;
    if (s[i] === "[") {
      const l = line;
      i += at("[[") ? 2 : 1;
      table = key();
      const k = table.join(".");
      if (!headers.has(k)) headers.set(k, l);
    } else keyValue(table);
    while (i < n && s[i] !== "\n") i++; // the rest of the line (a comment, or what is not TOML)
    if (i === before) i++;
  }
  open[line] = stack.slice();
  return { keys, headers, open };
}

/** 1-based line that sets `dottedKey` ("io.threads", "server.listen[1]", "modules.x.a.2"), or its table header. */
export function locateKey(text: string, dottedKey: string): number | undefined {
  const { keys, headers } = scan(text);
  let k = dottedKey.replace(/\[(\d+)\]/g, ".$1");
  while (k !== "") {
    const l = keys.get(k) ?? headers.get(k);
    if (l !== undefined) return l;
    const dot = k.lastIndexOf(".");
    k = dot < 0 ? "" : k.slice(0, dot);
  }
  return undefined;
}

export interface ParseErrorPlace {
  readonly line: number;
  /** "in the array that begins on line 3", "the inline table that begins here is never closed", or "". */
  readonly context: string;
}

function parses(text: string): boolean {
  try {
    Bun.TOML.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Where a file that does not parse goes wrong (see the header), or undefined when it cannot be told. */
export function locateParseError(text: string): ParseErrorPlace | undefined {
  const lines = text.split("\n");
  const { open } = scan(text);
  for (let l = 1; l <= lines.length; l++) {
    const closers = (open[l] ?? []).map((o) => o.closer).reverse().join("");
    if (parses(`${lines.slice(0, l).join("\n")}\n${closers}`)) continue;
    const inside = (open[l - 1] ?? []).at(-1);
    return { line: l, context: inside === undefined ? "" : `in the ${inside.kind} that begins on line ${inside.line}` };
  }
  const unclosed = (open[lines.length] ?? [])[0];
  return unclosed === undefined ? undefined : { line: unclosed.line, context: `the ${unclosed.kind} that begins here is never closed` };
}
