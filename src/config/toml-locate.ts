/**
 * @module config/toml-locate
 * Bun.TOML reports neither line nor column, so errors are located here: the line that sets a dotted key, and the
 * first line at which a broken file stops parsing. Best effort by design; it only decorates error messages.
 */

/** 1-based line of the assignment of `dottedKey` ("io.threads"), or of its `[section]` header, or undefined. */
export function locateKey(text: string, dottedKey: string): number | undefined {
  const want = dottedKey.replace(/\[\d+\]$/, "");
  const lines = text.split(/\r?\n/);
  let section = "";
  let headerLine: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const header = /^\[\s*([A-Za-z0-9_.\-" ]+?)\s*\]/.exec(line);
    if (header) {
      section = header[1]!.replace(/["\s]/g, "");
      if (section === want) headerLine ??= i + 1;
      continue;
    }
    const assign = /^([A-Za-z0-9_.\-"]+)\s*=/.exec(line);
    if (!assign) continue;
    const k = assign[1]!.replace(/"/g, "");
    if ((section ? `${section}.${k}` : k) === want) return i + 1;
  }
  return headerLine;
}

/**
 * The 1-based line where a file that fails to parse goes wrong: the first line after the longest prefix that still
 * parses. A multi-line array is not mistaken for the culprit because later prefixes that parse move the mark on.
 */
export function locateParseError(text: string): number | undefined {
  const lines = text.split(/\r?\n/);
  for (let k = lines.length - 1; k >= 0; k--) {
    try {
      Bun.TOML.parse(lines.slice(0, k).join("\n"));
      return k + 1;
    } catch {
      // keep shrinking
    }
  }
  return undefined;
}
