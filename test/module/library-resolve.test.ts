// Library resolution as a pure function: the init order, and every refusal (missing library, version outside the
// range, two providers, a cycle) with one message naming all modules and libraries involved — all at once.
import { describe, expect, test } from "bun:test";
import { resolveLibraries, type LibraryNode } from "../../src/module/resolve-libraries.ts";

const node = (name: string, provides: Record<string, string> = {}, requires: Record<string, string> = {}): LibraryNode => ({
  name,
  file: `/m/${name}.ts`,
  provides: Object.fromEntries(Object.entries(provides).map(([l, version]) => [l, { version }])),
  requires,
});

function problems(nodes: LibraryNode[]): readonly string[] {
  const r = resolveLibraries(nodes, "0.1.0");
  if (r.ok) throw new Error("expected problems");
  return r.problems;
}

function order(nodes: LibraryNode[]): string[] {
  const r = resolveLibraries(nodes, "0.1.0");
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.order.map((i) => nodes[i]!.name);
}

describe("library resolution", () => {
  test("providers are initialised before the modules that require them; otherwise configuration order", () => {
    expect(order([node("c", {}, { lb: "^2.0.0" }), node("b", { lb: "2.1.0" }, { la: "1.x" }), node("a", { la: "1.2.0" }), node("z")])).toEqual([
      "a",
      "b",
      "c",
      "z",
    ]);
    expect(order([node("x"), node("y")])).toEqual(["x", "y"]);
    // A diamond: d needs b and c, both need a.
    const diamond = [node("d", {}, { lb: "*", lc: "*" }), node("c", { lc: "1.0.0" }, { la: "*" }), node("b", { lb: "1.0.0" }, { la: "*" }), node("a", { la: "1.0.0" })];
    expect(order(diamond)).toEqual(["a", "c", "b", "d"]);
  });

  test("a module may require a library it provides itself, and the runtime's own library by range", () => {
    expect(order([node("self", { own: "1.0.0" }, { own: "^1.0.0", grocketd: "^0.1.0" })])).toEqual(["self"]);
    expect(problems([node("old", {}, { grocketd: "^1.0.0" })])).toEqual([
      `library "grocketd": module "old" (/m/old.ts) requires ^1.0.0, but this grocketd provides version 0.1.0`,
    ]);
  });

  test("missing library: names the module, the library, the range and what is provided", () => {
    expect(problems([node("user", {}, { kv: "^1.0.0" }), node("other", { misc: "3.0.0" })])).toEqual([
      `library "kv": module "user" (/m/user.ts) requires ^1.0.0, but no loaded module provides it (provided: grocketd 0.1.0, misc 3.0.0 (module "other"))`,
    ]);
  });

  test("version outside the range: names both modules, the library, the range and the provided version", () => {
    expect(problems([node("user", {}, { kv: "^2.0.0" }), node("store", { kv: "1.4.0" })])).toEqual([
      `library "kv": module "user" (/m/user.ts) requires ^2.0.0, but module "store" (/m/store.ts) provides version 1.4.0`,
    ]);
    expect(problems([node("me", { kv: "1.0.0" }, { kv: ">=1.1" })])[0]).toContain(`requires >=1.1, but it provides version 1.0.0`);
  });

  test("two providers of one name: names both, their versions, and who requires it", () => {
    expect(problems([node("a", { kv: "1.0.0" }), node("b", { kv: "1.1.0" }), node("user", {}, { kv: "^1.0.0" })])).toEqual([
      `library "kv": provided by more than one module: module "a" (/m/a.ts) version 1.0.0, module "b" (/m/b.ts) version 1.1.0 (required by "user"); a library name must have exactly one provider`,
    ]);
  });

  test("a cycle names the circle: every module and library on it", () => {
    const p = problems([node("a", { la: "1.0.0" }, { lc: "*" }), node("b", { lb: "1.0.0" }, { la: "*" }), node("c", { lc: "1.0.0" }, { lb: "*" }), node("free")]);
    expect(p).toEqual([
      `library cycle: module "a" (/m/a.ts) requires library "lc" of module "c" (/m/c.ts), module "c" requires library "lb" of module "b" (/m/b.ts), module "b" requires library "la" of module "a"; none of them can be initialised first`,
    ]);
  });

  test("every problem at once, not only the first", () => {
    const p = problems([
      node("needs-missing", {}, { nothere: "^1.0.0" }),
      node("needs-new", {}, { lb: "^2.0.0" }),
      node("lib-b", { lb: "1.0.0" }),
      node("lib-a", { la: "1.0.0" }),
      node("dup-a", { la: "1.3.0" }),
      node("cx", { lx: "1.0.0" }, { ly: "1" }),
      node("cy", { ly: "1.0.0" }, { lx: "1" }),
    ]);
    expect(p).toHaveLength(4);
    expect(p.find((x) => x.includes(`"nothere"`))).toContain(`module "needs-missing"`);
    expect(p.find((x) => x.includes(`library "lb"`))).toContain(`module "needs-new" (/m/needs-new.ts) requires ^2.0.0, but module "lib-b"`);
    expect(p.find((x) => x.includes(`library "la"`))).toContain(`module "lib-a" (/m/lib-a.ts) version 1.0.0, module "dup-a" (/m/dup-a.ts) version 1.3.0`);
    expect(p.find((x) => x.startsWith("library cycle"))).toContain(`module "cx" (/m/cx.ts) requires library "ly" of module "cy"`);
  });
});
