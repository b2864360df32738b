// The per-thread cache of packet views (IoContext.packetView): a reused view must always show the bytes and length
// of the packet at hand, and a replaced input buffer (loaned to an async reply) must never be seen through an old view.
import { describe, expect, test } from "bun:test";
import { defaultConfig } from "../../src/config/keys.ts";
import { IoContext } from "../../src/io/io-context.ts";
import { createLogger } from "../../src/log/logger.ts";

const io = () => new IoContext(0, defaultConfig(), createLogger({ level: "error", format: "text", where: "test", sink: () => {} }));

describe("packet views of the input buffer", () => {
  test("the same offset and length give the same view, showing the current bytes", () => {
    const ctx = io();
    ctx.inBuf.set([1, 2, 3, 4], 0);
    const a = ctx.packetView(0, 4);
    ctx.inBuf.set([9, 8, 7, 6], 0);
    const b = ctx.packetView(0, 4);
    expect(b).toBe(a);
    expect([...b]).toEqual([9, 8, 7, 6]);
  });

  test("another length at the same offset gets a view of that length", () => {
    const ctx = io();
    ctx.inBuf.set([1, 2, 3, 4, 5, 6], 0);
    expect(ctx.packetView(2, 2).length).toBe(2);
    const longer = ctx.packetView(2, 4);
    expect([...longer]).toEqual([3, 4, 5, 6]);
    expect(ctx.packetView(2, 4)).toBe(longer);
  });

  test("after replaceInBuf no view of the old buffer is handed out", () => {
    const ctx = io();
    const old = ctx.inBuf;
    const before = ctx.packetView(44, 44);
    const fresh = ctx.replaceInBuf(0);
    expect(fresh).not.toBe(old);
    const after = ctx.packetView(44, 44);
    expect(after).not.toBe(before);
    fresh[44] = 0x7a;
    old[44] = 0x11;
    expect(after[0]).toBe(0x7a);
    expect(before[0]).toBe(0x11);
  });

  test("offsets past the cached range still get correct views", () => {
    const ctx = io();
    ctx.replaceInBuf(64 * 1024);
    const off = ctx.inBuf.length - 10;
    ctx.inBuf[off] = 0x42;
    const v = ctx.packetView(off, 10);
    expect(v.length).toBe(10);
    expect(v[0]).toBe(0x42);
  });
});
