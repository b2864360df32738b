// RestartPolicy: exponential back-off from 100 ms doubling to 30 s, reset after a worker lived 10 s, and the
// crash-loop limit over a sliding window (0 = always restart).
import { describe, expect, test } from "bun:test";
import { RestartPolicy } from "../../src/master/restart-policy.ts";

describe("restart policy", () => {
  test("quick deaths double the delay up to 30 s; a worker that lived 10 s restarts after the shortest delay again", () => {
    const p = new RestartPolicy(0, 60_000);
    const delays = Array.from({ length: 12 }, (_, i) => p.died(0, 50, i * 10));
    expect(delays.map((d) => (d.restart ? d.delay : -1))).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000]);
    expect(p.died(0, 10_000, 200)).toEqual({ restart: true, delay: 100, inARow: 1 });
    expect(p.died(0, 50, 210)).toMatchObject({ delay: 200, inARow: 2 });
    // Workers are counted apart.
    expect(p.died(1, 50, 220)).toMatchObject({ delay: 100, inARow: 1 });
  });

  test("more than `limit` deaths within the window is a crash loop; deaths that left the window do not count", () => {
    const p = new RestartPolicy(2, 1000);
    expect(p.died(0, 50, 0).restart).toBe(true);
    expect(p.died(0, 50, 500).restart).toBe(true);
    expect(p.died(0, 50, 900)).toEqual({ restart: false, deaths: 3 });
    const q = new RestartPolicy(2, 1000);
    q.died(0, 50, 0);
    q.died(0, 50, 500);
    expect(q.died(0, 50, 1200).restart).toBe(true); // the death at 0 has left the window
  });
});
