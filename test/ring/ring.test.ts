/**
 * Single-thread tests of the SAB ring: framing, wrap-around, full ring, coded errors, waits, the typed layer.
 * Cross-thread behaviour is in ring-threads.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { Ring, RecordRing, RingError, recordSize, RECORD_HEADER_BYTES, RING_HEADER_BYTES } from "../../src/ring/index.ts";
import { isGrocketdError } from "../../src/errors.ts";

function bytesOf(seq: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (seq * 31 + i) & 0xff;
  return b;
}

/** Drains the ring into copies. */
function drain(ring: Ring, max?: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  ring.poll((bytes, off, len) => out.push(bytes.slice(off, off + len)), max);
  return out;
}

describe("Ring, one thread", () => {
  test("create rounds capacity to a power of two and lays out the SAB", () => {
    const r = Ring.create(1000);
    expect(r.capacity).toBe(1024);
    expect(r.sab.byteLength).toBe(RING_HEADER_BYTES + 1024);
    expect(r.maxRecordBytes).toBe(1024 - RECORD_HEADER_BYTES);
    expect(Ring.create(1).capacity).toBe(64);
    expect(() => Ring.create(0)).toThrow(RingError);
    expect(() => Ring.create(2 ** 31)).toThrow(RingError);
  });

  test("attach validates the layout", () => {
    const r = Ring.create(256);
    expect(Ring.attach(r.sab).capacity).toBe(256);
    try {
      Ring.attach(new SharedArrayBuffer(RING_HEADER_BYTES + 256));
      throw new Error("no throw");
    } catch (err) {
      expect((err as RingError).code).toBe("GRK_ERR_RING_BAD_LAYOUT");
    }
  });

  test("push then poll returns the records in order, then nothing", () => {
    const r = Ring.create(4096);
    for (let i = 0; i < 10; i++) expect(r.push(bytesOf(i, i * 7 + 1))).toBe(true);
    expect(r.depth()).toBe(10);
    const got = drain(r);
    expect(got.length).toBe(10);
    got.forEach((b, i) => expect(b).toEqual(bytesOf(i, i * 7 + 1)));
    expect(r.depth()).toBe(0);
    expect(r.usedBytes()).toBe(0);
    expect(r.poll(() => {})).toBe(0);
  });

  test("push with off/len copies the sub-range, small and large", () => {
    const r = Ring.create(4096);
    const src = bytesOf(9, 300);
    r.push(src, 5, 10);
    r.push(src, 100, 150);
    r.push(src, 300, 0);
    const got = drain(r);
    expect(got[0]).toEqual(src.subarray(5, 15));
    expect(got[1]).toEqual(src.subarray(100, 250));
    expect(got[2]!.length).toBe(0);
    expect(() => r.push(src, 250, 51)).toThrow(RingError);
  });

  test("poll respects max and keeps the rest", () => {
    const r = Ring.create(1024);
    for (let i = 0; i < 5; i++) r.push(bytesOf(i, 10));
    expect(drain(r, 2).length).toBe(2);
    expect(r.depth()).toBe(3);
    const rest = drain(r);
    expect(rest.map((b) => b[0])).toEqual([2, 3, 4].map((i) => bytesOf(i, 1)[0]!));
  });

  test("zero-length records take a header each and come back as len 0", () => {
    const r = Ring.create(64);
    const empty = new Uint8Array(0);
    for (let i = 0; i < 8; i++) expect(r.push(empty)).toBe(true); // 8 * 8 bytes = 64
    expect(r.push(empty)).toBe(false);
    const lens: number[] = [];
    expect(r.poll((_b, _o, len) => lens.push(len))).toBe(8);
    expect(lens).toEqual(new Array(8).fill(0));
  });

  test("a record ending exactly at the end of the area needs no padding; the next starts at 0", () => {
    const r = Ring.create(256);
    // 3 records of 56 bytes = 3 * 64 = 192; then one of 56 ends exactly at 256.
    for (let i = 0; i < 3; i++) r.push(bytesOf(i, 56));
    expect(drain(r).length).toBe(3);
    expect(r.reserve(56)).toBe(192 + RECORD_HEADER_BYTES);
    r.commit();
    expect(r.usedBytes()).toBe(64);
    // Next goes to offset 0, no wrap marker in between.
    expect(r.reserve(8)).toBe(RECORD_HEADER_BYTES);
    r.bytes.set(bytesOf(77, 8), RECORD_HEADER_BYTES);
    r.commit();
    expect(r.usedBytes()).toBe(64 + 16);
    const got = drain(r);
    expect(got.length).toBe(2);
    expect(got[1]).toEqual(bytesOf(77, 8));
  });

  test("a record that does not fit before the end pads and continues at 0", () => {
    const r = Ring.create(256);
    r.push(bytesOf(0, 200)); // 208 bytes
    drain(r);
    // 48 bytes left at the end; a 50-byte record (64 with header) wraps: 48 padding + 64.
    expect(r.push(bytesOf(1, 50))).toBe(true);
    expect(r.usedBytes()).toBe(48 + 64);
    const got = drain(r);
    expect(got).toEqual([bytesOf(1, 50)]);
    expect(r.usedBytes()).toBe(0);
  });

  test("full ring returns false, loses nothing, and accepts again after a poll", () => {
    const r = Ring.create(1024);
    let pushed = 0;
    while (r.push(bytesOf(pushed, 100))) pushed++;
    expect(pushed).toBe(9); // 9 * 112 = 1008, the 10th needs 112
    expect(r.reserve(100)).toBe(-1);
    expect(r.depth()).toBe(9);
    expect(drain(r, 1)).toEqual([bytesOf(0, 100)]);
    expect(r.push(bytesOf(pushed, 100))).toBe(true); // wraps over the freed space
    pushed++;
    const got = drain(r);
    expect(got.length).toBe(9);
    got.forEach((b, i) => expect(b).toEqual(bytesOf(i + 1, 100)));
  });

  test("random sizes through a small ring: order and content kept across many wraps", () => {
    const r = Ring.create(512);
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % 300;
    let next = 0;
    let expectSeq = 0;
    const lens: number[] = [];
    for (let round = 0; round < 2000; round++) {
      for (;;) {
        const len = rand();
        if (!r.push(bytesOf(next, len))) break;
        lens.push(len);
        next++;
      }
      r.poll((bytes, off, len) => {
        expect(len).toBe(lens[expectSeq]!);
        const want = bytesOf(expectSeq, len);
        for (let i = 0; i < len; i++) if (bytes[off + i] !== want[i]) throw new Error(`bad byte in ${expectSeq}`);
        expectSeq++;
      }, 1 + (round % 5));
    }
    drain(r).forEach(() => expectSeq++);
    expect(expectSeq).toBe(next);
    expect(r.stats().pushed).toBe(next);
  });

  test("head and tail counters wrap past 2^31 and 2^32 without losing track", () => {
    const sab = Ring.create(256).sab;
    const h = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    const start = 0x7fffff00 - 40; // a little below INT32_MAX, and not a multiple of the capacity
    h[16] = start; // head
    h[32] = start; // tail
    let r = new Ring(sab);
    let seq = 0;
    let polled = 0;
    // 2^31 bytes would take too long; jump over the sign flip, then over the 2^32 wrap.
    for (const jump of [0, 0xffffff00 - 40]) {
      if (jump !== 0) {
        h[16] = jump | 0;
        h[32] = jump | 0;
        r = new Ring(sab);
      }
      for (let i = 0; i < 200; i++) {
        expect(r.push(bytesOf(seq, (i * 13) % 120))).toBe(true);
        const got = drain(r);
        expect(got).toEqual([bytesOf(seq, (i * 13) % 120)]);
        seq++;
        polled++;
        expect(r.usedBytes()).toBe(0);
      }
    }
    expect(polled).toBe(400);
  });

  test("two waiters on one side: one leaving does not strand the other", async () => {
    const r = Ring.create(1024);
    const first = r.waitForData(10);
    const second = r.waitForData(2000);
    expect(await first).toBe(false);
    setTimeout(() => r.push(bytesOf(0, 1)), 10);
    expect(await second).toBe(true);
  });

  test("deferPublish: committed records stay invisible until flush, which wakes a sleeping consumer once", async () => {
    const r = Ring.create(4096);
    r.deferPublish = true;
    const woken = r.waitForData(2000);
    for (let i = 0; i < 5; i++) expect(r.push(bytesOf(i, 10))).toBe(true);
    expect(r.poll(() => {})).toBe(0); // nothing published yet
    r.flush();
    expect(await woken).toBe(true);
    expect(r.stats().consumerWakeups).toBe(1);
    const got = drain(r);
    expect(got).toEqual([0, 1, 2, 3, 4].map((i) => bytesOf(i, 10)));
    r.flush(); // nothing new: no wake-up, nothing published
    expect(r.stats().consumerWakeups).toBe(1);
    expect(r.poll(() => {})).toBe(0);
  });

  test("countInto: records polled, wake-ups (waits that slept) and notifies (only to a sleeper) land in the owner's fields", async () => {
    const r = Ring.create(4096);
    const fields = new Float64Array(8);
    r.countInto(fields, 4);
    r.deferPublish = true;
    for (let i = 0; i < 3; i++) r.push(bytesOf(i, 8));
    r.flush(); // nobody sleeps: no notify
    expect(drain(r).length).toBe(3);
    expect(r.counts()).toEqual({ polled: 3, wakeups: 0, notifies: 0 });
    const woken = r.waitForData(2000);
    for (let i = 0; i < 4; i++) r.push(bytesOf(i, 8));
    r.flush();
    expect(await woken).toBe(true);
    expect(drain(r).length).toBe(4);
    expect(await r.waitForData(0)).toBe(false); // a zero timeout does not sleep
    expect(Array.from(fields)).toEqual([0, 0, 0, 0, 7, 1, 1, 0]);
  });

  test("a record of the largest size fits even when the head is mid-ring", () => {
    const r = Ring.create(256);
    r.push(bytesOf(0, 100));
    drain(r);
    // Head at 112: 248 payload bytes need the whole area. The padding goes in first, the record next time.
    const big = bytesOf(5, r.maxRecordBytes);
    expect(r.push(big)).toBe(false);
    expect(drain(r)).toEqual([]); // consumes the padding only
    expect(r.push(big)).toBe(true);
    expect(drain(r)).toEqual([big]);
  });

  test("record too large throws the coded error with size and limit", () => {
    const r = Ring.create(1024);
    let caught: unknown;
    try {
      r.push(new Uint8Array(1017));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RingError);
    expect(isGrocketdError(caught)).toBe(true);
    expect((caught as RingError).code).toBe("GRK_ERR_RING_RECORD_TOO_LARGE");
    expect((caught as RingError).message).toContain("1017");
    expect((caught as RingError).message).toContain("1016");
    expect(() => r.reserve(5000)).toThrow(/5000 bytes exceeds the limit of 1016/);
    expect(r.push(new Uint8Array(1016))).toBe(true); // the limit itself is fine
  });

  test("reserve/commit writes in place; commit(len) shrinks; commit without reserve throws", () => {
    const r = Ring.create(1024);
    const at = r.reserve(100);
    expect(at % 8).toBe(0);
    const n = new TextEncoder().encodeInto("hello", r.bytes.subarray(at, at + 100)).written;
    r.commit(n);
    expect(r.usedBytes()).toBe(recordSize(5));
    expect(new TextDecoder().decode(drain(r)[0])).toBe("hello");
    expect(() => r.commit()).toThrow(RingError);
    r.reserve(4);
    expect(() => r.commit(5)).toThrow(RingError);
  });

  test("a throwing handler consumes its record and releases the ones before it", () => {
    const r = Ring.create(1024);
    for (let i = 0; i < 4; i++) r.push(bytesOf(i, 10));
    let calls = 0;
    expect(() =>
      r.poll(() => {
        if (++calls === 2) throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(r.depth()).toBe(2);
    expect(drain(r).length).toBe(2);
  });

  test("waitForData resolves on push and times out on an empty ring", async () => {
    const r = Ring.create(1024);
    expect(await r.waitForData(20)).toBe(false);
    setTimeout(() => r.push(bytesOf(1, 3)), 10);
    expect(await r.waitForData(2000)).toBe(true);
    expect(r.stats().consumerWakeups).toBe(1);
    expect(await r.waitForData(0)).toBe(true); // data present: immediate
  });

  test("waitForData and waitForSpace return false when aborted", async () => {
    const r = Ring.create(64);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 10);
    expect(await r.waitForData(Infinity, ac.signal)).toBe(false);
    while (r.push(new Uint8Array(8)));
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 10);
    expect(await r.waitForSpace(8, Infinity, ac2.signal)).toBe(false);
  });

  test("waitForSpace resolves when the consumer frees space", async () => {
    const r = Ring.create(256);
    while (r.push(bytesOf(0, 50)));
    setTimeout(() => drain(r, 1), 10);
    expect(await r.waitForSpace(50, 2000)).toBe(true);
    expect(r.stats().producerWakeups).toBe(1);
    expect(r.push(bytesOf(0, 50))).toBe(true);
  });

  test("startConsumer drains, sleeps, wakes and stops", async () => {
    const r = Ring.create(4096);
    const seen: number[] = [];
    const c = r.startConsumer((bytes, off) => void seen.push(bytes[off]!), { turnBudget: 3 });
    for (let i = 0; i < 10; i++) r.push(Uint8Array.of(i));
    await Bun.sleep(10);
    for (let i = 10; i < 20; i++) r.push(Uint8Array.of(i));
    await Bun.sleep(10);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(c.processed).toBe(20);
    await c.stop();
    expect(c.running).toBe(false);
    r.push(Uint8Array.of(99));
    expect(r.depth()).toBe(1); // stopped: left for the next consumer
  });

  test("startConsumer graceTurns: a record published in the grace turns after a busy turn costs no notify; then it sleeps", async () => {
    for (const grace of [0, 2]) {
      const r = Ring.create(4096);
      const seen: number[] = [];
      const c = r.startConsumer((bytes, off) => void seen.push(bytes[off]!), { graceTurns: grace });
      const until = async (n: number) => {
        for (let i = 0; seen.length < n && i < 10_000; i++) await new Promise((res) => setImmediate(res));
      };
      await Bun.sleep(5); // the loop is asleep on the empty ring
      r.push(Uint8Array.of(1));
      await until(1);
      r.push(Uint8Array.of(2)); // the turn after the one that handled record 1
      await until(2);
      await Bun.sleep(10); // past the grace turns: asleep again
      r.push(Uint8Array.of(3));
      await until(3);
      expect(seen).toEqual([1, 2, 3]);
      // Without grace record 2 finds the loop asleep; with it, awake.
      expect(r.stats().consumerWakeups).toBe(grace === 0 ? 3 : 2);
      expect(r.counts().wakeups).toBe(grace === 0 ? 3 : 2);
      await c.stop();
    }
  });

  test("startConsumer: handler errors go to onError, or stop the loop", async () => {
    const r = Ring.create(1024);
    const errors: unknown[] = [];
    const c = r.startConsumer(() => {
      throw new Error("bad");
    }, { onError: (e) => errors.push(e) });
    r.push(Uint8Array.of(1));
    r.push(Uint8Array.of(2));
    await Bun.sleep(10);
    expect(errors.length).toBe(2);
    await c.stop();
    const c2 = r.startConsumer(() => {
      throw new Error("fatal");
    });
    r.push(Uint8Array.of(3));
    await expect(c2.done).rejects.toThrow("fatal");
    expect(c2.running).toBe(false);
  });
});

describe("RecordRing", () => {
  test("fields and payload round-trip; payloads stay 8-byte aligned", () => {
    const rr = new RecordRing(Ring.create(1024), 3);
    expect(rr.fieldBytes).toBe(16);
    expect(rr.push([7, -1, 42], bytesOf(1, 20))).toBe(true);
    const at = rr.reserve([1, 2, 3], 50);
    expect(at % 8).toBe(0);
    rr.ring.bytes.set(bytesOf(2, 10), at);
    rr.commit(10);
    expect(rr.push([0, 0, 0])).toBe(true);
    const got: [number[], Uint8Array][] = [];
    rr.poll((f, bytes, off, len) => got.push([Array.from(f), bytes.slice(off, off + len)]));
    expect(got).toEqual([
      [[7, -1, 42], bytesOf(1, 20)],
      [[1, 2, 3], bytesOf(2, 10)],
      [[0, 0, 0], new Uint8Array(0)],
    ]);
    expect(() => rr.push([1, 2])).toThrow(RingError);
    expect(() => rr.reserve([1, 2, 3], rr.maxPayloadBytes + 1)).toThrow(/exceeds the limit of 1000/);
  });
});
