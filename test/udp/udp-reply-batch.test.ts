// The reply batch: the first reply of a turn leaves at once, later ones in one sendMany at the end of the turn; a
// datagram the kernel refuses in the middle of a batch costs only itself.
import { describe, expect, test } from "bun:test";
import { UdpReplyBatch } from "../../src/io/udp/udp-reply-batch.ts";
import type { SendList, UdpTransport } from "../../src/io/udp/udp-transport.ts";

/** Records what was sent; refuses payloads equal to "bad" (as sendMany stops at a refused datagram). */
function fakeTransport() {
  const calls: string[] = [];
  const t: UdpTransport = {
    backend: "bun",
    port: 1,
    send(d) {
      calls.push(`send ${d}`);
      return d !== "bad";
    },
    sendMany(list: SendList) {
      const items: string[] = [];
      for (let i = 0; i < list.length; i += 3) items.push(String(list[i]));
      calls.push(`many ${items.join(",")}`);
      const k = items.indexOf("bad");
      return k < 0 ? items.length : k;
    },
    close() {},
  };
  return { t, calls };
}

describe("udp reply batch", () => {
  test("first reply at once, the rest of the turn in one sendMany", async () => {
    const { t, calls } = fakeTransport();
    const stats = { replies: 0, unsent: 0 };
    const b = new UdpReplyBatch(stats, () => {});
    b.attach(t);
    for (const r of ["a", "b", "c"]) b.add(r, 9, "127.0.0.1");
    expect(calls).toEqual(["send a"]);
    expect(b.queued).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(["send a", "many b,c"]);
    b.add("d", 9, "127.0.0.1"); // a new turn: at once again
    expect(calls.at(-1)).toBe("send d");
    expect(stats).toEqual({ replies: 4, unsent: 0 });
  });

  test("a refused datagram in a batch is dropped and counted; the ones after it are still sent", async () => {
    const { t, calls } = fakeTransport();
    const stats = { replies: 0, unsent: 0 };
    const refused: number[] = [];
    const b = new UdpReplyBatch(stats, (n) => refused.push(n));
    b.attach(t);
    for (const r of ["a", "b", "bad", "c", "bad", "d"]) b.add(r, 9, "127.0.0.1");
    b.flush();
    expect(calls).toEqual(["send a", "many b,bad,c,bad,d", "many c,bad,d", "many d"]);
    expect(stats).toEqual({ replies: 4, unsent: 2 });
    expect(refused).toEqual([2]);
    expect(b.queued).toBe(0);
  });

  test("after the socket is gone, replies are counted as unsent", () => {
    const stats = { replies: 0, unsent: 0 };
    const b = new UdpReplyBatch(stats, () => {});
    b.attach(null);
    b.add("x", 9, "127.0.0.1");
    expect(stats).toEqual({ replies: 0, unsent: 1 });
  });
});
