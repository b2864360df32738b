// The TCP framing loop: packets split at every byte offset, many packets per read, variable lengths, the
// per-connection packet limit. Runs the real listener in-process (test/helpers/in-process.ts).
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { connect } from "../helpers/tcp-client.ts";
import { countWritesPerEvent, startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { kisses, KISS_SIZE } from "../helpers/kiss.ts";
import { concat, lpCheck, lpPacket, prng } from "../fixtures/length-prefixed.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

const kissEcho = defineModule({
  name: "kiss-echo",
  version: "1.0.0",
  grocketd: "^0.1.0",
  check: (_b, start, end) => (end - start >= KISS_SIZE ? KISS_SIZE : 0),
  proc: (p) => p,
});

/** Echoes each length-prefixed packet back with its payload reversed, so a mix-up of packets cannot pass. */
const lpReverse = defineModule({
  name: "lp-reverse",
  version: "1.0.0",
  grocketd: "^0.1.0",
  check: lpCheck,
  proc: (p) => {
    const out = new Uint8Array(p.length);
    out.set(p.subarray(0, 4), 0);
    for (let i = 4; i < p.length; i++) out[i] = p[p.length - 1 - (i - 4)]!;
    return out;
  },
});

function reversed(packets: readonly Uint8Array[]): Uint8Array {
  return concat(
    packets.map((p) => {
      const out = new Uint8Array(p.length);
      out.set(p.subarray(0, 4), 0);
      for (let i = 4; i < p.length; i++) out[i] = p[p.length - 1 - (i - 4)]!;
      return out;
    }),
  );
}

const tick = () => Bun.sleep(2);

describe("framing", () => {
  test("a stream of three kiss packets split at every byte offset is answered exactly", async () => {
    server = startInProcess(kissEcho);
    const c = await connect(server.port);
    let expected = 0;
    const stream = kisses(1, 3);
    for (let cut = 1; cut < stream.length; cut++) {
      c.write(stream.subarray(0, cut));
      await tick();
      c.write(stream.subarray(cut));
      expected += stream.length;
      const got = await c.waitBytes(expected);
      expect(got.subarray(expected - stream.length, expected)).toEqual(stream);
    }
    c.end();
  });

  test("variable-length packets split at every byte offset (including inside the length header)", async () => {
    server = startInProcess(lpReverse);
    const rnd = prng(7);
    const packets = [1, 0, 300, 5, 2000].map((n) => lpPacket(Uint8Array.from({ length: n }, () => (rnd() * 256) | 0)));
    const stream = concat(packets);
    const want = reversed(packets);
    const c = await connect(server.port);
    let total = 0;
    for (let cut = 1; cut < stream.length; cut += cut < 40 || cut > stream.length - 40 ? 1 : 17) {
      c.write(stream.subarray(0, cut));
      await tick();
      c.write(stream.subarray(cut));
      total += stream.length;
      const got = await c.waitBytes(total);
      expect(got.subarray(total - stream.length, total)).toEqual(want);
    }
    c.end();
  });

  test("random multi-splits and byte-by-byte feeding give the same answers", async () => {
    server = startInProcess(lpReverse);
    const rnd = prng(42);
    const packets = Array.from({ length: 40 }, () => lpPacket(Uint8Array.from({ length: (rnd() * 700) | 0 }, () => (rnd() * 256) | 0)));
    const stream = concat(packets);
    const want = reversed(packets);
    const c = await connect(server.port);
    for (let off = 0; off < stream.length; ) {
      const n = Math.min(stream.length - off, 1 + ((rnd() * 900) | 0));
      c.write(stream.subarray(off, off + n));
      off += n;
      if (rnd() < 0.3) await tick();
    }
    expect(await c.waitBytes(want.length)).toEqual(want);
    const small = concat(packets.slice(0, 3));
    for (let i = 0; i < small.length; i++) {
      c.write(small.subarray(i, i + 1));
      if (i % 7 === 0) await tick();
    }
    const all = await c.waitBytes(want.length + small.length);
    expect(all.subarray(want.length)).toEqual(reversed(packets.slice(0, 3)));
    c.end();
  });

  test("a thousand packets in one write are all answered, in order (not one per read)", async () => {
    server = startInProcess(kissEcho);
    const c = await connect(server.port);
    const stream = kisses(1, 1000);
    c.write(stream);
    expect(await c.waitBytes(stream.length)).toEqual(stream);
    c.end();
  });

  test("every reply produced in one read event leaves in one socket write (corked)", async () => {
    server = startInProcess(kissEcho);
    const c = await connect(server.port);
    c.write(kisses(1, 1)); // the connection exists server-side once its first packet is answered
    await c.waitBytes(KISS_SIZE);
    const n = countWritesPerEvent(server);
    const stream = kisses(2, 200);
    c.write(stream);
    expect(await c.waitBytes(KISS_SIZE + stream.length)).toEqual(Buffer.concat([kisses(1, 1), stream]));
    expect(n.events).toBeGreaterThan(0);
    expect(n.events).toBeLessThan(20); // 200 packets arrived in a few reads, not one by one
    expect(n.writes).toBe(n.events);
    c.end();
  });

  test("a packet announced larger than io.max_packet closes that connection at once; others are unaffected", async () => {
    server = startInProcess(lpReverse, { max_packet: 1024 });
    const other = await connect(server.port);
    const c = await connect(server.port);
    c.write(lpPacket(new Uint8Array(5000)).subarray(0, 100)); // header says 5004 bytes: refused before the rest arrives
    await c.closed;
    expect(server.logs.join("\n")).toMatch(/larger than io.max_packet \(1024\)/);
    const p = lpPacket(new Uint8Array([1, 2, 3]));
    other.write(p);
    expect(await other.waitBytes(p.length)).toEqual(reversed([p]));
    other.end();
  });

  test("input that never forms a packet is cut off at io.max_packet", async () => {
    server = startInProcess(defineModule({ name: "never", version: "1.0.0", grocketd: "^0.1.0", check: () => 0, proc: () => "x" }), {
      max_packet: 4096,
    });
    const c = await connect(server.port);
    for (let i = 0; i < 10; i++) c.write(new Uint8Array(1000));
    await c.closed;
    expect(server.logs.join("\n")).toMatch(/more than io.max_packet \(4096\) bytes without a whole packet/);
  });

  test("check reporting bad data (negative or throwing) closes the connection with a log line", async () => {
    server = startInProcess(
      defineModule({
        name: "picky",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: (b, s) => {
          if (b[s] === 0x21) throw new Error("bang");
          return b[s] === 0x3f ? -1 : 1;
        },
        proc: (p) => p,
      }),
    );
    const a = await connect(server.port);
    a.write("ok?rest");
    await a.closed;
    expect(new TextDecoder().decode(a.received())).toBe("ok");
    const b = await connect(server.port);
    b.write("!");
    await b.closed;
    const logs = server.logs.join("\n");
    expect(logs).toMatch(/check reported bad data \(-1\)/);
    expect(logs).toMatch(/check threw \(bad data\).*bang/);
  });

  test("without check, every read is one packet", async () => {
    server = startInProcess(defineModule({ name: "raw", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => `${p.length};` }));
    const c = await connect(server.port);
    c.write("hello");
    expect(new TextDecoder().decode(await c.waitBytes(2))).toBe("5;");
    c.end();
  });
});
