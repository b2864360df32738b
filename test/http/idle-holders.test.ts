// The listener's bound on idle HTTP connections that keep their parser and request state until the tick
// (src/http/idle-holders.ts): past 256 remembered, the oldest is asked to park; one that left the ring may come back.
import { expect, test } from "bun:test";
import { IdleHolders, type IdleHolder } from "../../src/http/idle-holders.ts";

function holder(parked: number[], i: number): IdleHolder {
  return { held: false, parkIfIdle: () => void parked.push(i) };
}

test("past 256 idle holders the one remembered longest ago is parked, in order, and may be remembered again", () => {
  const ring = new IdleHolders();
  const parked: number[] = [];
  const hs = Array.from({ length: 300 }, (_, i) => holder(parked, i));
  for (const h of hs.slice(0, 256)) ring.add(h);
  expect(parked).toEqual([]);
  expect(hs.slice(0, 256).every((h) => h.held)).toBe(true);
  for (const h of hs.slice(256)) ring.add(h);
  expect(parked).toEqual(Array.from({ length: 44 }, (_, i) => i));
  expect(hs.slice(0, 44).every((h) => !h.held)).toBe(true);
  expect(hs.slice(44).every((h) => h.held)).toBe(true);
  // The first one went idle again with a parser: remembered again, and the next oldest (44) goes.
  ring.add(hs[0]!);
  expect(parked.at(-1)).toBe(44);
  expect(hs[0]!.held).toBe(true);
});
