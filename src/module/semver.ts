/**
 * @module module/semver
 * Syntax checks for versions and ranges. Bun.semver.satisfies answers `true` for nonsense ranges such as "abc",
 * so a range is checked against the node-semver grammar here before Bun.semver is trusted with it.
 */

const NUM = "(?:0|[1-9]\\d*)";
const PRE = "(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?";
const BUILD = "(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?";
const VERSION_RE = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}${PRE}${BUILD}$`);

const XR = `(?:${NUM}|[xX*])`;
const PARTIAL = `v?${XR}(?:\\.${XR}(?:\\.${XR}${PRE}${BUILD})?)?`;
const COMPARATOR = new RegExp(`^(?:<=|>=|<|>|=|~>?|\\^)?\\s*${PARTIAL}$`);
const HYPHEN = new RegExp(`^${PARTIAL}\\s+-\\s+${PARTIAL}$`);

/** A full semver version, e.g. "1.2.3" or "1.0.0-rc.1". */
export function isSemverVersion(v: string): boolean {
  return VERSION_RE.test(v);
}

/** A node-semver range: "^1.2.0", ">=1 <2", "1.x || 2.x", "1.2.3 - 1.4", "*". */
export function isSemverRange(r: string): boolean {
  const text = r.trim();
  if (text === "") return false;
  return text.split("||").every((part) => {
    const p = part.trim();
    if (p === "") return false;
    if (HYPHEN.test(p)) return true;
    // Allow "> = 1.2" spacing forms by gluing operators to their operand first.
    return p
      .replace(/(<=|>=|<|>|=|~>?|\^)\s+/g, "$1")
      .split(/\s+/)
      .every((c) => COMPARATOR.test(c));
  });
}

/** True when `version` satisfies `range`; false for an invalid range (Bun.semver would say true). */
export function satisfies(version: string, range: string): boolean {
  return isSemverRange(range) && Bun.semver.satisfies(version, range);
}
