// Records are read through one Reader per ring area (pool-protocol.ts readerAt), not a Reader, a DataView and a
// Buffer per record: the same cursor must read every record of its area right, whatever was read before it, and two
// areas read in turns (an I/O thread with two handler threads) must not mix.
import { describe, expect, test } from "bun:test";
import { Writer, readRequest, readResponse, readerAt, requestSize, responseSize, writeRequest, writeResponse, type PoolRequest } from "../../src/pool/pool-protocol.ts";

const req = (i: number): PoolRequest => ({
  method: i % 2 ? "POST" : "GET",
  url: `/path/${i}?q=${"x".repeat(i)}`,
  versionMajor: 1,
  versionMinor: 1,
  headers: [["host", `h${i}`], ["x-\u00e9", "caf\u00e9"]],
  body: i % 3 === 0 ? new Uint8Array(0) : new Uint8Array([i, i + 1, i + 2]),
});

describe("readerAt", () => {
  test("one cursor per area reads records at any offset, alternating with another area, latin1 and bodies intact", () => {
    const a = new Uint8Array(4096);
    const b = new Uint8Array(4096);
    const offsA: number[] = [];
    const offsB: number[] = [];
    const wa = new Writer(a, 0);
    const wb = new Writer(b, 0);
    for (let i = 0; i < 10; i++) {
      offsA.push(wa.off);
      writeRequest(wa, req(i));
      offsB.push(wb.off);
      writeResponse(wb, { status: 200 + i, lines: `x-n: ${i}\r\n`, body: new Uint8Array([i]) });
    }
    expect(wa.off).toBe(Array.from({ length: 10 }, (_, i) => requestSize(req(i))).reduce((x, y) => x + y));
    expect(wb.off).toBe(Array.from({ length: 10 }, (_, i) => responseSize({ status: 0, lines: `x-n: ${i}\r\n`, body: new Uint8Array(1) })).reduce((x, y) => x + y));
    // Out of order and in turns between the two areas.
    for (const i of [3, 0, 9, 3, 5, 1, 8, 2, 7, 6, 4]) {
      const got = readRequest(readerAt(a, offsA[i]!));
      expect({ ...got, body: [...got.body] }).toEqual({ ...req(i), body: [...req(i).body] });
      const res = readResponse(readerAt(b, offsB[i]!));
      expect(res.status).toBe(200 + i);
      expect(res.lines).toBe(`x-n: ${i}\r\n`);
      expect([...res.body]).toEqual([i]);
    }
    expect(readerAt(a, 0)).toBe(readerAt(a, 5)); // reused, not one per record
    expect(readerAt(a, 0)).not.toBe(readerAt(b, 0));
  });

  test("a body is a copy: writing over the area afterwards does not change it", () => {
    const a = new Uint8Array(256);
    writeRequest(new Writer(a, 0), req(1));
    const got = readRequest(readerAt(a, 0));
    a.fill(0);
    expect([...got.body]).toEqual([1, 2, 3]);
    expect(got.url).toBe("/path/1?q=x");
  });
});
