// A topic's subscribers (src/pubsub/topic-subscribers.ts): join and leave in O(1), and a walk (a delivery loop) that
// neither skips nor repeats anyone while subscribers leave or join during it, as a Set's iterator would.
import { describe, expect, test } from "bun:test";
import { TopicSubscribers } from "../../src/pubsub/topic-subscribers.ts";

/** Every subscriber one walk meets, with `during(s)` run at each. */
function walked(t: TopicSubscribers<string>, during: (s: string) => void = () => {}): string[] {
  const met: string[] = [];
  const list = t.walk();
  try {
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (s === null || s === undefined) continue;
      met.push(s);
      during(s);
    }
  } finally {
    t.endWalk();
  }
  return met;
}

describe("TopicSubscribers", () => {
  test("join once, leave once; the last one moves into a place left outside a walk", () => {
    const t = new TopicSubscribers<string>("t");
    expect(["a", "b", "c", "d"].map((s) => t.add(s))).toEqual([true, true, true, true]);
    expect(t.add("b")).toBe(false);
    expect(t.delete("b")).toBe(true);
    expect(t.delete("b")).toBe(false);
    expect(t.size).toBe(3);
    expect(walked(t).sort()).toEqual(["a", "c", "d"]);
    expect(t.delete("d")).toBe(true); // the one that moved is still found at its new place
    expect(walked(t).sort()).toEqual(["a", "c"]);
  });

  test("leaving during a walk: nobody skipped or met twice, the holes closed after it", () => {
    const t = new TopicSubscribers<string>("t");
    const all = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const s of all) t.add(s);
    // Each one met drops itself and the one after the next (a slow consumer, a close hook that unsubscribes another).
    const met = walked(t, (s) => {
      t.delete(s);
      const k = all.indexOf(s) + 2;
      if (k < all.length) t.delete(all[k]!);
    });
    expect(met).toEqual(["s0", "s1", "s4", "s5", "s8", "s9"]);
    expect(t.size).toBe(0);
    expect(walked(t)).toEqual([]);
    t.add("x");
    expect(walked(t)).toEqual(["x"]);
  });

  test("joining during a walk is reached by it; a nested walk sees the same, holes stay until the outer one ends", () => {
    const t = new TopicSubscribers<string>("t");
    t.add("a");
    t.add("b");
    const inner: string[][] = [];
    const met = walked(t, (s) => {
      if (s === "a") {
        t.add("c");
        t.delete("b");
        inner.push(walked(t));
      }
    });
    expect(met).toEqual(["a", "c"]);
    expect(inner).toEqual([["a", "c"]]);
    expect(t.size).toBe(2);
    expect(t.delete("c")).toBe(true);
    expect(walked(t)).toEqual(["a"]);
  });
});
