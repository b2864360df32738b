// Compile-time checks of typed library access (not a bun test: it is checked by `tsc --noEmit -p .` in `npm test`
// and .ci/run, and by test/module/library-typecheck.test.ts). Every `@ts-expect-error` line is a misuse that must
// NOT compile: if one compiled, tsc would fail with "Unused '@ts-expect-error' directive".
import { defineLibrary, defineModule, z, type InstanceOf, type LibraryHandle, type RuntimeLibrary } from "../../src/index.ts";
import type { KvLibrary, Store, View } from "../../modules/kv-store.ts";

// A consumer's handle, typed by the provider's exported library type (a type-only import: no code is linked).
declare const kv: LibraryHandle<KvLibrary>;
const store: Store = kv.singleton("Store");
const view: View = kv.create("View", store, "p:");
const same: InstanceOf<KvLibrary, "Store"> = store;
view.set("k", same.get("k") ?? "");
// @ts-expect-error -- Store is a singleton: it is reached with singleton(), not create()
kv.create("Store");
// @ts-expect-error -- View is not a singleton
kv.singleton("View");
// @ts-expect-error -- no such class
kv.singleton("Stor");
// @ts-expect-error -- View's factory takes (store, prefix)
kv.create("View", store);
// @ts-expect-error -- the prefix is a string
kv.create("View", store, 42);
// @ts-expect-error -- the object is a Store, not a number
const notANumber: number = kv.singleton("Store");
// @ts-expect-error -- Store has no method put
store.put("k", "v");

defineModule({
  name: "typed",
  version: "1.0.0",
  grocketd: "^0.1.0",
  requires: { kv: "^1.0.0" },
  configSchema: z.object({ limit: z.number().default(3), label: z.string().optional() }),
  init(ctx) {
    const limit: number = ctx.moduleConfig.limit; // the schema's output type
    const label: string | undefined = ctx.moduleConfig.label;
    // @ts-expect-error -- not a key of the schema
    void ctx.moduleConfig.limt;
    // @ts-expect-error -- limit is a number
    const asText: string = ctx.moduleConfig.limit;
    ctx.require<KvLibrary>("kv").singleton("Store").set(label ?? "k", String(limit));
    const g: RuntimeLibrary = ctx.require("grocketd");
    g.getInt("io", "threads", 0);
    // @ts-expect-error -- getInt's default is a number
    g.getInt("io", "threads", "0");
    // @ts-expect-error -- stopping is read-only
    g.stopping = true;
    void [asText, notANumber];
  },
  proc: (p) => p,
});

// A provider: defineLibrary keeps each factory's signature and `singleton: true` as a literal type.
const lib = defineLibrary({
  version: "1.0.0",
  classes: { A: { create: (x: number) => ({ x }) }, B: { create: () => new Date(), singleton: true } },
});
declare const h: LibraryHandle<typeof lib>;
h.create("A", 1).x.toFixed();
h.singleton("B").getTime();
// @ts-expect-error -- B is a singleton
h.create("B");
// @ts-expect-error -- A's factory needs a number
h.create("A");

// An untyped handle accepts any class name and arguments (the runtime still checks them) and gives unknown.
declare const loose: LibraryHandle;
const u: unknown = loose.create("Anything", 1, "two");
// @ts-expect-error -- unknown is not a string
const s: string = loose.singleton("Anything");
void [u, s];

// @ts-expect-error -- a class needs a create function
defineLibrary({ version: "1.0.0", classes: { C: { singleton: true } } });
