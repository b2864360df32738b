// RingLink: records that wait behind a full ring keep their order, and a record that can never fit is refused at
// once to its sender, even while others wait, instead of jamming the backlog later.
import { expect, test } from "bun:test";
import { Ring } from "../../src/ring/ring.ts";
import { RingLink, maxPoolPayload } from "../../src/pool/ring-link.ts";

test("a full ring parks records in order; an oversized record throws GRK_ERR_RING_RECORD_TOO_LARGE to its sender", async () => {
  const pair = { req: Ring.create(64 * 1024).sab, res: Ring.create(64 * 1024).sab };
  const errors: unknown[] = [];
  const io = new RingLink(pair, "io", () => {}, (e) => errors.push(e));
  const got: number[] = [];
  const handler = new RingLink(pair, "handler", (_k, _c, seq, _f, _b, _o, len) => void (len === 1000 && got.push(seq)), (e) => errors.push(e));
  const payload = new Uint8Array(1000);
  let seq = 0;
  while (io.send(1, 1, ++seq, 0, payload, 0, payload.length)); // until one is parked
  for (let i = 0; i < 10; i++) io.send(1, 1, ++seq, 0, payload, 0, payload.length);
  expect(io.blocked).toBe(true);
  const huge = new Uint8Array(maxPoolPayload(64 * 1024) + 1);
  expect(() => io.send(1, 1, 0, 0, huge, 0, huge.length)).toThrow(/^ring record of 65513 bytes exceeds the limit of 65512 bytes \(ring capacity 65536 bytes/);
  expect(() => io.sendEncoded(1, 1, 0, 0, huge.length, () => {})).toThrow(expect.objectContaining({ code: "GRK_ERR_RING_RECORD_TOO_LARGE" }));
  handler.start();
  for (let t = 0; t < 200 && got.length < seq; t++) await Bun.sleep(5);
  expect(got).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
  expect(io.blocked).toBe(false);
  expect(errors).toEqual([]);
  await handler.stop();
  await io.stop();
});
