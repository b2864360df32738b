// A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line is a HELP, a TYPE or a
// sample; metric and label names match the format's regexes; label values are quoted with only \\, \" and \n
// escapes; values are Go-style floats; each family has one HELP and one TYPE, before its samples, and its samples
// are contiguous; no sample repeats. Anything else throws with the line number.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: Sample[];
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

function parseValue(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: bad value ${JSON.stringify(text)}`);
  if (text === "NaN") return NaN;
  if (/^[+-]?Inf$/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return Number(text);
}

function parseLabels(text: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after "{"
  for (;;) {
    if (text[i] === "}") return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`${where}: label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} repeated`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let v = "";
    let j = eq + 2;
    for (;; j++) {
      const c = text[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === "\n") throw new Error(`${where}: raw line feed in label value`);
      if (c === "\\") {
        const n = text[++j];
        if (n === "\\") v += "\\";
        else if (n === '"') v += '"';
        else if (n === "n") v += "\n";
        else throw new Error(`${where}: bad escape \\${n}`);
      } else v += c;
    }
    labels[name] = v;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`${where}: expected "," or "}" after a label`);
  }
}

/** Parses a whole exposition; returns its families by name. */
export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("exposition does not end with a line feed");
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: Family | undefined;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, n) => {
    const where = `line ${n + 1} ${JSON.stringify(line)}`;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) {
        if (/^# (HELP|TYPE)\b/.test(line)) throw new Error(`${where}: malformed ${line.slice(2, 6)}`);
        return; // a comment
      }
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC.test(name)) throw new Error(`${where}: bad metric name`);
      let f = families.get(name);
      if (f === undefined) {
        if (seen.has(name)) throw new Error(`${where}: family ${name} interrupted`);
        f = { name, help: "", type: "untyped", samples: [] };
        families.set(name, f);
        seen.add(name);
      } else if (f !== current || f.samples.length > 0) throw new Error(`${where}: ${kind} of ${name} after its samples or elsewhere`);
      if (kind === "HELP") {
        if (f.help !== "") throw new Error(`${where}: second HELP`);
        f.help = rest;
      } else {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) throw new Error(`${where}: bad type`);
        f.type = rest as Family["type"];
      }
      current = f;
      return;
    }
    if (line.trim() === "") throw new Error(`${where}: empty line`);
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`${where}: no value`);
    const name = line.slice(0, nameEnd);
    if (!METRIC.test(name)) throw new Error(`${where}: bad metric name`);
    let rest = line.slice(nameEnd);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, where));
    const parts = rest.split(" ");
    if (parts[0] !== "" || parts.length < 2 || parts.length > 3) throw new Error(`${where}: expected " value [timestamp]"`);
    const value = parseValue(parts[1]!, where);
    if (parts.length === 3 && !/^-?\d+$/.test(parts[2]!)) throw new Error(`${where}: bad timestamp`);
    // A histogram's samples are <family>_bucket (with le), <family>_sum and <family>_count.
    const hist = current?.type === "histogram" && /^(?:_bucket|_sum|_count)$/.test(name.slice(current.name.length)) && name.startsWith(current.name);
    const f = hist ? current : families.get(name);
    if (f === undefined || f !== current) throw new Error(`${where}: sample of ${name} outside its family (HELP/TYPE first, samples together)`);
    if (hist && name.endsWith("_bucket") !== ("le" in labels)) throw new Error(`${where}: le belongs on _bucket samples only`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: sample repeated`);
    seen.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.help === "" || f.type === "untyped") throw new Error(`family ${f.name} lacks HELP or TYPE`);
  return families;
}

/** The family a sample name belongs to: itself, or a histogram's for its _bucket/_sum/_count samples. */
function familyOf(families: Map<string, Family>, name: string): Family | undefined {
  const m = /^(.*)_(?:bucket|sum|count)$/.exec(name);
  const h = m ? families.get(m[1]!) : undefined;
  return h?.type === "histogram" ? h : families.get(name);
}

/** The value of the sample of `name` whose labels include `labels`; throws unless exactly one matches. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const f = familyOf(families, name);
  if (!f) throw new Error(`no family ${name}`);
  const hits = f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length >= Object.keys(labels).length);
  const exact = hits.filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
  const pick = exact.length === 1 ? exact : hits;
  if (pick.length !== 1) throw new Error(`${pick.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return pick[0]!.value;
}

/** Sum of the samples of `name` whose labels include `labels`. */
export function sampleSum(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const f = familyOf(families, name);
  if (!f) throw new Error(`no family ${name}`);
  return f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}
