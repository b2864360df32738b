// RestartPolicy: exponential back-off from 100 ms doubling to 30 s, reset after a worker lived 10 s, and the
// crash-loop report over a sliding window (0 = never reported). Nothing is ever given up on: a worker in a crash
// loop still gets a restart delay (issue 12 item 3: a crash loop must not become a permanent outage).
import { describe, expect, test } from "bun:test";
import { RestartPolicy } from "../../src/master/restart-policy.ts";

describe("restart policy", () => {
  test("quick deaths double the delay up to 30 s; a worker that lived 10 s restarts after the shortest delay again", () => {
    const p = new RestartPolicy(0, 60_000);
    const delays = Array.from({ length: 12 }, (_, i) => p.died(0, 50, i * 10));
    expect(delays.map((d) => d.delay)).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000]);
    expect(delays.some((d) => d.crashLoop)).toBe(false); // limit 0: never reported
    expect(p.died(0, 10_000, 200)).toEqual({ delay: 100, inARow: 1, deaths: 13, crashLoop: false });
    expect(p.died(0, 50, 210)).toMatchObject({ delay: 200, inARow: 2 });
    // Workers are counted apart.
    expect(p.died(1, 50, 220)).toMatchObject({ delay: 100, inARow: 1, deaths: 1 });
  });

  test("more than `limit` deaths within the window is a crash loop, still restarted; deaths that left the window do not count", () => {
    const p = new RestartPolicy(2, 1000);
    expect(p.died(0, 50, 0).crashLoop).toBe(false);
    expect(p.died(0, 50, 500).crashLoop).toBe(false);
    expect(p.died(0, 50, 900)).toEqual({ delay: 400, inARow: 3, deaths: 3, crashLoop: true });
    // Thousands of deaths later it is still restarted, at most every 30 s.
    let last = p.died(0, 50, 950);
    for (let i = 0; i < 1000; i++) last = p.died(0, 50, 960 + i * 0.01);
    expect(last).toMatchObject({ delay: 30_000, crashLoop: true });
    const q = new RestartPolicy(2, 1000);
    q.died(0, 50, 0);
    q.died(0, 50, 500);
    expect(q.died(0, 50, 1200).crashLoop).toBe(false); // the death at 0 has left the window
  });
});
