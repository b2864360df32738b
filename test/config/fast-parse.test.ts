// The fast check (src/config/fast-parse.ts) against zod (src/config/zod-compile.ts), on the same descriptions: for
// every config key and for module definitions, a value the fast check accepts is one zod accepts with the same
// result, and a value zod accepts is one the fast check accepts (so valid starts really skip zod). A valid layer
// never reaches zod; a bad one is judged by zod and reports zod's own message.
import { describe, expect, test } from "bun:test";
import { fastParse } from "../../src/config/fast-parse.ts";
import { defaultConfig, keysOf, sectionNames } from "../../src/config/keys.ts";
import { Shape } from "../../src/config/schema-shape.ts";
import { getLayerSchema, validateLayer, zodLayerRuns } from "../../src/config/schema.ts";
import { toZod } from "../../src/config/zod-compile.ts";
import { manifestSchema, validateManifest } from "../../src/module/manifest.ts";
import { defineModule } from "../../src/module/define-module.ts";
import { defineLibrary } from "../../src/module/define-library.ts";
import { z as realZod } from "zod";

const SCALARS: unknown[] = [
  undefined, null, true, false, 0, -0, -1, 1, 7, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 65_535, "", "x", "0", "5", " 3 ", "-1",
  "debug", "json", "TLSv1.3", "TLSv1.1", "/binary", "binary", "/a b", "grocketd", "caf\u00e9", "\x7f",
  "http://127.0.0.1:8080", "http://0.0.0.0:0", "tcp://0.0.0.0:8000", "udp://[::1]:53", "ws://127.0.0.1:9/chat", "https://x:1",
  "http://127.0.0.1:8080?module=a", "http://127.0.0.1:99999", "ftp://x:1", "redis://127.0.0.1:6379", "rediss://h:1", "redis://",
  "ECDHE+AESGCM", "$remote_addr $status", "$nope", "0123456789abcdef", "short token", "0123456789abcde",
  {}, { a: 1 }, () => 1,
];

/** Numbers around the bounds a shape's .min()/.max() calls name, so every range is probed at its edges. */
function boundsOf(s: Shape): number[] {
  const out: number[] = [];
  const walk = (x: unknown) => {
    if (!(x instanceof Shape)) {
      if (Array.isArray(x)) x.forEach(walk);
      return;
    }
    for (const st of x.steps) if ((st.m === "min" || st.m === "max") && typeof st.args[0] === "number") out.push(st.args[0] - 1, st.args[0], st.args[0] + 1);
    x.args.forEach(walk);
  };
  walk(s);
  return out;
}

function samplesFor(s: Shape, def: unknown): unknown[] {
  const scalars = [...SCALARS, ...boundsOf(s), ...boundsOf(s).map(String), def];
  const arrays = [[], ...scalars.filter((v) => v !== undefined).map((v) => [v]), ["0", 1], ["http://127.0.0.1:1", "tcp://127.0.0.1:2"], ["http://127.0.0.1:1", "nope"]];
  return [...scalars, ...arrays];
}

/** Both verdicts on one value: equal acceptance, and the same result when accepted. */
function agree(s: Shape, v: unknown, what: string): boolean {
  const fast = fastParse(s, v);
  const zod = toZod(s).safeParse(v);
  if ((fast !== undefined) !== zod.success) throw new Error(`${what}: fast ${fast !== undefined ? "accepts" : "refuses"} ${String(v)}, zod ${zod.success ? "accepts" : "refuses"}`);
  if (fast !== undefined && zod.success) expect(fast.value).toEqual(zod.data);
  return zod.success;
}

describe("fast check agrees with zod", () => {
  test("every config key, at its bounds and beyond, with scalars, arrays and its default", () => {
    let accepted = 0;
    let refused = 0;
    for (const sec of sectionNames()) {
      for (const [k, spec] of Object.entries(keysOf(sec))) {
        expect(fastParse(spec.schema, spec.default)).toEqual({ value: spec.default });
        for (const v of samplesFor(spec.schema, spec.default)) agree(spec.schema, v, `${sec}.${k}`) ? accepted++ : refused++;
      }
    }
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(1000);
  });

  test("whole layers: defaults, module tables, unknown keys, odd objects", () => {
    const layer = (over: Record<string, unknown>) => ({ ...defaultConfig(), modules: { app: { depth: 3, name: "x" } }, ...over });
    const odd = JSON.parse('{"server": {"__proto__": {"drain_ms": 1}}}');
    const cases: Array<[unknown, boolean, "zod only"?]> = [
      [layer({}), true],
      [{}, true],
      [{ io: { threads: 2 }, server: { listen: ["http://127.0.0.1:1"] } }, true],
      [{ io: { cpu_affinity: ["0"] } }, true],
      [{ io: { thread: 2 } }, false],
      [{ nope: {} }, false],
      [{ io: null }, false],
      [{ io: [] }, false],
      [{ modules: { app: 1 } }, false],
      [{ modules: { app: [] } }, false],
      [layer({ worker: { disabled: "yes" } }), false],
      [Object.assign(Object.create(null), { io: { threads: 1 } }), true],
      // Not a plain object: valid to zod, but only zod judges it (the fast check models plain data only).
      [new (class Layer { io = { threads: 1 }; })(), true, "zod only"],
      [odd, false],
      [{ io: { threads: 1, [Symbol("s")]: 1 } }, true],
      [{ modules: { app: { [Symbol("s")]: 1 } } }, false], // zod's record checks symbol keys too (a key must be a string)
      [null, false],
      ["io", false],
    ];
    cases.forEach(([v, ok, zodOnly], i) => {
      if (zodOnly) expect(fastParse(getLayerSchema(), v)).toBeUndefined();
      else expect([i, agree(getLayerSchema(), v, `layer ${i}`)]).toEqual([i, ok]);
      expect(validateLayer(v).ok).toBe(ok);
    });
  });

  test("module definitions: valid ones, and each kind of mistake", () => {
    const hook = () => undefined;
    const lib = defineLibrary({ version: "1.0.0", classes: { Store: { create: () => ({}) } } });
    const base = { name: "m", version: "1.0.0", grocketd: "^0.1.0", proc: hook };
    const cases: unknown[] = [
      base,
      defineModule({ ...base }),
      defineModule({ name: "h", version: "1.2.3", grocketd: "^0.1.0", http: () => "hi", websocket: { protocols: ["chat"], open: hook } } as never),
      { ...base, provides: { kv: lib }, requires: { kv: "^1.0.0" } },
      { ...base, configSchema: realZod.object({ a: realZod.number() }) },
      { ...base, description: "d", init: hook, term: hook, accept: hook, close: hook, check: hook, draining: hook },
      { ...base, name: "bad name" },
      { ...base, version: "1" },
      { ...base, grocketd: "nonsense" },
      { ...base, proc: "no" },
      { ...base, procc: hook },
      { ...base, websocket: { protocols: ["a b"] } },
      { ...base, websocket: { extra: 1 } },
      { ...base, provides: { "bad name": lib } },
      { ...base, provides: { kv: { version: "1.0.0", classes: { "1x": { create: hook } } } } },
      { ...base, provides: { kv: { version: "1.0.0", classes: { X: { create: hook, extra: 1 } } } } },
      { ...base, requires: { kv: 1 } },
      { ...base, configSchema: {} },
    ];
    const outcomes = cases.map((c, i) => agree(manifestSchema, c, `case ${i}`));
    expect(outcomes.slice(0, 6)).toEqual([true, true, true, true, true, true]);
    expect(outcomes.slice(6).every((ok) => !ok)).toBe(true);
  });
});

describe("which path a layer takes", () => {
  test("a valid layer is accepted without zod; a bad one gets zod's own issue", () => {
    const before = zodLayerRuns;
    const ok = validateLayer({ io: { threads: 2, cpu_affinity: ["0"] }, server: { listen: ["http://127.0.0.1:8080"] }, log: { level: "warn" } });
    expect(ok).toEqual({ ok: true, layer: { io: { threads: 2, cpu_affinity: [0] }, server: { listen: ["http://127.0.0.1:8080"] }, log: { level: "warn" } } });
    expect(zodLayerRuns).toBe(before);

    const raw = { io: { threads: 2000 }, log: { level: "loud" } };
    const bad = validateLayer(raw);
    expect(zodLayerRuns).toBe(before + 1);
    if (bad.ok) throw new Error("expected issues");
    // The messages are zod's, made by the zod schema compiled from the same description.
    const direct = realZod.number().int().min(0).max(1024).safeParse(2000);
    const enumDirect = realZod.enum(["debug", "info", "warn", "error", "silent"]).safeParse("loud");
    expect(bad.issues).toEqual([
      { key: "io.threads", message: direct.error!.issues[0]!.message, value: 2000 },
      { key: "log.level", message: enumDirect.error!.issues[0]!.message, value: "loud" },
    ]);
  });

  test("a manifest mistake is reported with zod's message, file and field", () => {
    expect(() => validateManifest({ name: "m", version: "1.0.0", grocketd: "^0.1.0", proc: 1 }, "/x/m.ts")).toThrow(
      '/x/m.ts: field "proc": expected a function, got 1',
    );
  });
});
