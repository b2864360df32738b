// The per-thread module runtime in-process: init in dependency order and term in reverse, singletons made lazily
// once per thread and released at term (newest first, after their provider's term), `create` with arguments,
// misuse refused with GRK_ERR_LIBRARY, and the runtime library `grocketd` (config getters, counters, ports,
// thread, role, stopping, logger).
import { describe, expect, test } from "bun:test";
import { defaultConfig, type Config } from "../../src/config/keys.ts";
import { parseListenUrl, type ListenEntry } from "../../src/config/listen-url.ts";
import { isGrocketdError } from "../../src/errors.ts";
import { defineLibrary, defineModule, z, type HookContext } from "../../src/index.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { LoadedModule } from "../../src/module/load-module.ts";
import { ModuleRuntime } from "../../src/module/module-runtime.ts";

const events: string[] = [];
let made = 0;

class Pool {
  constructor(readonly id: number) {}
}
class Item {
  constructor(
    readonly pool: Pool,
    readonly label: string,
  ) {}
}

const pools = defineLibrary({
  version: "1.4.0",
  classes: {
    Pool: { create: () => new Pool(++made), singleton: true, release: (p: Pool) => void events.push(`release Pool ${p.id}`) },
    Broken: {
      create: () => ({}),
      singleton: true,
      release: () => {
        throw new Error("release exploded");
      },
    },
    Item: { create: (pool: Pool, label: string) => new Item(pool, label) },
  },
});
type Pools = typeof pools;

const seen: Record<string, HookContext> = {};
const mod = (file: string, def: Parameters<typeof defineModule>[0]): LoadedModule => ({ file, def: defineModule(def) as LoadedModule["def"] });
const provider = mod("/m/provider.ts", {
  name: "provider",
  version: "1.0.0",
  grocketd: "^0.1.0",
  provides: { pools },
  init: (ctx) => void events.push(`init provider ${ctx.role} ${ctx.index}`),
  term: (ctx) => {
    events.push(`term provider; singleton still usable: ${ctx.require<Pools>("pools").singleton("Pool").id}`);
  },
  proc: (p) => p,
});
const consumer = mod("/m/consumer.ts", {
  name: "consumer",
  version: "1.0.0",
  grocketd: "^0.1.0",
  requires: { pools: "^1.2.0" },
  configSchema: z.object({ limit: z.number().int().default(5), label: z.string().optional() }),
  init: (ctx) => {
    events.push(`init consumer`);
    seen.consumer = ctx;
  },
  term: () => void events.push("term consumer"),
  proc: (p) => p,
});
const loner = mod("/m/loner.ts", {
  name: "loner",
  version: "1.0.0",
  grocketd: "^0.1.0",
  init: (ctx) => void (seen.loner = ctx),
  proc: (p) => p,
});

function runtime(index: number, lines: string[] = [], config: Config = defaultConfig()) {
  const log = createLogger({ level: "debug", format: "text", where: `io-${index}`, sink: (_l, line) => lines.push(line) });
  const entry = parseListenUrl("tcp://127.0.0.1:0") as ListenEntry;
  return new ModuleRuntime([consumer, loner, provider], { role: "thread", index, config, log, bindings: [{ entry, module: "consumer" }] });
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isGrocketdError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("module runtime", () => {
  test("init in dependency order, term in reverse; singletons released after their provider's term, newest first", async () => {
    events.length = 0;
    const lines: string[] = [];
    const rt = runtime(2, lines);
    expect(rt.order.map((m) => m.def.name)).toEqual(["loner", "provider", "consumer"]);
    await rt.init("thread 2");
    const h = seen.consumer!.require<Pools>("pools");
    h.singleton("Broken");
    h.singleton("Pool");
    expect(rt.objects.liveSingletons()).toEqual(["pools.Broken", "pools.Pool"]);
    await rt.term();
    expect(events).toEqual(["init provider thread 2", "init consumer", "term consumer", `term provider; singleton still usable: ${made}`, `release Pool ${made}`]);
    expect(lines.find((l) => l.includes("release failed"))).toMatch(/release failed module=provider library=pools class=Broken error="release exploded"/);
    expect(rt.objects.liveSingletons()).toEqual([]);
    expect(refusal(() => h.singleton("Pool"))).toBe(`GRK_ERR_LIBRARY: library "pools" was released at term on this thread; its objects are gone`);
  });

  test("a singleton is made lazily, once per thread; create makes a new object each time, with typed arguments", async () => {
    const [a, b] = [runtime(0), runtime(1)];
    await a.init("thread 0");
    const before = made;
    const ha = seen.consumer!.require<Pools>("pools");
    expect(made).toBe(before); // nothing made until asked
    const p1 = ha.singleton("Pool");
    expect(ha.singleton("Pool")).toBe(p1);
    expect(made).toBe(before + 1);
    const i1 = ha.create("Item", p1, "x");
    const i2 = ha.create("Item", p1, "y");
    expect(i1).not.toBe(i2);
    expect([i1.label, i2.label, i1.pool === p1]).toEqual(["x", "y", true]);
    await b.init("thread 1");
    const p2 = seen.consumer!.require<Pools>("pools").singleton("Pool");
    expect(p2).not.toBe(p1); // another thread, another object
    expect(ha.version).toBe("1.4.0");
    await a.term();
    await b.term();
  });

  test("misuse is refused with GRK_ERR_LIBRARY and a message that says what to do", async () => {
    const rt = runtime(0);
    await rt.init("thread 0");
    const h = seen.consumer!.require("pools"); // untyped: any class name compiles, the runtime still checks
    expect(refusal(() => h.create("Pool"))).toBe(`GRK_ERR_LIBRARY: class "Pool" of library "pools" is a singleton: use singleton("Pool")`);
    expect(refusal(() => h.singleton("Item"))).toBe(`GRK_ERR_LIBRARY: class "Item" of library "pools" is not a singleton: use create("Item", ...)`);
    expect(refusal(() => h.singleton("Pol"))).toBe(`GRK_ERR_LIBRARY: library "pools" has no class "Pol" (classes: Pool, Broken, Item)`);
    expect(refusal(() => seen.loner!.require("pools"))).toBe(
      `GRK_ERR_LIBRARY: module "loner" (/m/loner.ts) uses library "pools" without declaring it: add requires: { "pools": "<semver range>" }`,
    );
    await rt.term();
  });

  test("resolution problems refuse the runtime with every problem", () => {
    const lost = mod("/m/lost.ts", { name: "lost", version: "1.0.0", grocketd: "^0.1.0", requires: { pools: "^2.0.0", nope: "1" }, proc: (p) => p });
    const log = createLogger({ level: "silent", format: "text", where: "master" });
    let problems: readonly string[] = [];
    try {
      new ModuleRuntime([lost, provider], { role: "master", index: 0, config: defaultConfig(), log });
    } catch (err) {
      if (!isGrocketdError(err)) throw err;
      expect(err.code).toBe("GRK_ERR_LIBRARY");
      problems = err.problems;
    }
    expect(problems).toHaveLength(2);
  });

  test("the runtime library: config getters, counters, ports, thread, role, stopping, logger", async () => {
    const config = defaultConfig();
    config.io.threads = 3;
    config.modules.consumer = { limit: 7, label: "hi" };
    const lines: string[] = [];
    const rt = runtime(1, lines, config);
    await rt.init("thread 1");
    const g = seen.consumer!.grocketd;
    expect(seen.consumer!.require("grocketd")).toBe(g);
    expect([g.name, g.version, g.thread, g.role, g.stopping]).toEqual(["grocketd", "0.1.0", 1, "thread", false]);
    expect(g.getInt("io", "threads", 0)).toBe(3);
    expect(g.getString("log", "format", "x")).toBe("text");
    expect(g.getInt("modules.consumer", "limit", 0)).toBe(7);
    expect(g.getString("modules.consumer", "label", "")).toBe("hi");
    expect(seen.consumer!.moduleConfig).toEqual({ limit: 7, label: "hi" });
    config.modules.consumer = { limit: 7 };
    expect(g.getString("modules.consumer", "label", "default")).toBe("default"); // unset → the default
    expect(refusal(() => g.getInt("io", "thread", 0))).toContain(`config key "io.thread" does not exist (keys in [io]: threads,`);
    expect(refusal(() => g.getInt("iox", "threads", 0))).toContain(`config section "iox" does not exist (sections: server, io,`);
    expect(refusal(() => g.getInt("modules.loner", "x", 0))).toBe(
      `GRK_ERR_CONFIG: config section "modules.loner" does not exist (module sections: modules.consumer)`,
    );
    expect(refusal(() => g.getBool("log", "level", false))).toBe(`GRK_ERR_CONFIG: config "log.level" is "info", not a boolean`);
    const hits = g.counter("hits");
    hits.add();
    hits.add(4);
    expect(g.counter("hits")).toBe(hits);
    seen.loner!.grocketd.counter("hits").add(2);
    expect(rt.counters.snapshot()).toEqual({ "consumer.hits": 5, "loner.hits": 2 });
    expect(refusal(() => g.counter("bad name"))).toContain(`counter name "bad name"`);
    expect(g.ports).toEqual([{ url: "tcp://127.0.0.1:0", protocol: "tcp", hostname: "127.0.0.1", port: 0, module: "consumer" }]);
    rt.setBindings([{ entry: parseListenUrl("tcp://127.0.0.1:4242") as ListenEntry, module: "consumer" }]);
    expect(g.ports[0]!.port).toBe(4242);
    rt.stopping = true;
    expect(g.stopping).toBe(true);
    g.log.info("hello");
    expect(lines.at(-1)).toMatch(/info  io-1 \[consumer\] hello$/);
    await rt.term();
    expect(lines.at(-1)).toMatch(/debug io-1 counters consumer.hits=5 loner.hits=2$/);
  });
});
