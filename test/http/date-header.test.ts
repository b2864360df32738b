// src/http/date-header.ts: a read event turns its own performance.now() reading into the Date line (no second clock
// call per read); the line must still be the wall clock's second, and change exactly when that second does.
import { describe, expect, test } from "bun:test";
import { DateHeader } from "../../src/http/date-header.ts";

const lineOf = (ms: number) => `Date: ${new Date(Math.floor(ms / 1000) * 1000).toUTCString()}\r\n`;
/** The lines of the seconds within 5 ms of `ms` (two clocks read apart, each to the millisecond). */
const near = (ms: number) => [lineOf(ms - 5), lineOf(ms + 5)];

describe("DateHeader", () => {
  test("at(performance.now()) renders the wall clock's current second", () => {
    const d = new DateHeader();
    const before = Date.now();
    d.at(performance.now());
    const after = Date.now();
    // The second may tick between the two readings; the line is one of the two.
    expect([lineOf(before), lineOf(after)]).toContain(d.line);
    expect(d.line).toMatch(/^Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n$/);
  });

  test("a monotonic reading a second later is the next second, with a new version; the same second keeps it", () => {
    const d = new DateHeader();
    const mono = performance.now();
    const wall = Date.now();
    d.at(mono);
    const v = d.version;
    const line = d.line;
    d.at(mono); // same reading: nothing to re-render
    expect(d.version).toBe(v);
    expect(d.line).toBe(line);
    d.at(mono + 1000);
    expect(d.version).toBe(v + 1);
    expect(near(wall + 1000)).toContain(d.line);
    d.at(mono + 60_000);
    expect(near(wall + 60_000)).toContain(d.line);
  });
});
