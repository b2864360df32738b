// The A/B options every compare script takes: `--grocketd-dir DIR` runs grocketd from another checkout instead of this
// one, `--baseline DIR` runs that checkout as one more server ("grocketd-base") in the same rounds and alternation,
// so a before/after ratio comes out of one run (as bench/startup.ts's --baseline does). Product modules (modules/*)
// are taken from the checkout that runs; bench modules (bench/modules/*) always from this one, since their protocol
// belongs to the bench script that drives them.

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Spread, spread } from "./stats.ts";

export const AB_USAGE =
  "  --grocketd-dir DIR  run grocketd from the checkout DIR instead of this one (DIR/src/grocketd.ts)\n" +
  "  --baseline DIR      also run grocketd from DIR as server grocketd-base, in the same rounds; reports grocketd/grocketd-base";

/** The name of the baseline's row in every report. */
export const BASE = "grocketd-base";

/** `opt` resolved to a checkout holding src/grocketd.ts, or `fallback` when not given; exits 2 on a wrong DIR. */
export function checkoutDir(opt: string | undefined, fallback: string, flag: string): string {
  if (opt === undefined) return fallback;
  const dir = resolve(opt);
  if (!existsSync(join(dir, "src/grocketd.ts"))) {
    process.stderr.write(`${flag} ${opt}: no src/grocketd.ts there (expected a grocketd checkout with node_modules)\n`);
    process.exit(2);
  }
  return dir;
}

/** Per-round ratios a/b of `value` over records of the same round (and the same `same` key); null when none pair. */
export function pairedRatios<R extends { server: string; round: number }>(
  records: readonly R[],
  a: string,
  b: string,
  value: (r: R) => number,
  same: (x: R, y: R) => boolean = () => true,
): Spread | null {
  const out: number[] = [];
  for (const y of records) {
    if (y.server !== b || !value(y)) continue;
    const x = records.find((r) => r.server === a && r.round === y.round && same(r, y));
    if (x && value(x)) out.push(value(x) / value(y));
  }
  return out.length ? spread(out) : null;
}

/** "1.04 (0.98–1.10)". */
export function fmtRatio(s: Spread): string {
  return `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}
