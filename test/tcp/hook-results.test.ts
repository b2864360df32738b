// What a hook may return (issue 12, item 5): `check` a length (an integer; -0 is 0), `proc` a reply (bytes, a string,
// nothing, or a Promise of one). Anything else is the module's error, logged with the module and the value: over TCP
// the connection closes (the thread serves on), over UDP the datagram or reply is dropped. Was: check returning 1.5
// cut the packet at a fractional offset and later replies came out shifted, with nothing logged.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { badLengthMessage, badReplyMessage, isLength, replyKind, REPLY_BAD, REPLY_BYTES, REPLY_LATER, REPLY_NONE, REPLY_TEXT } from "../../src/module/hook-results.ts";
import { connect } from "../helpers/tcp-client.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { startUdpServer, udpClient, type UdpServer } from "../udp/udp-harness.ts";

let server: InProcessServer | undefined;
let udp: UdpServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
  udp?.stop();
  udp = undefined;
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A module whose check returns `value` once two bytes are there (the packet length otherwise). */
function checkReturning(value: unknown) {
  return defineModule({
    name: "odd-check",
    version: "1.0.0",
    grocketd: "^0.1.0",
    check: (_b, s, e) => (e - s >= 2 ? (value as number) : 0),
    proc: (p) => p,
  });
}

describe("hook results, one rule", () => {
  test("a length is an integer; a reply is bytes, a string, nothing or a Promise", () => {
    for (const ok of [0, -0, 1, 44, -1, 2 ** 40]) expect(isLength(ok)).toBe(true);
    for (const bad of [1.5, NaN, Infinity, -Infinity, "4", {}, null, undefined, 2 ** 60]) expect(isLength(bad)).toBe(false);
    expect(replyKind(undefined)).toBe(REPLY_NONE);
    expect(replyKind(null)).toBe(REPLY_NONE);
    expect(replyKind(Buffer.from("x"))).toBe(REPLY_BYTES);
    expect(replyKind("x")).toBe(REPLY_TEXT);
    expect(replyKind(Promise.resolve())).toBe(REPLY_LATER);
    for (const bad of [42, {}, [], new ArrayBuffer(1), new Uint16Array(1), true, Symbol("s")]) expect(replyKind(bad)).toBe(REPLY_BAD);
    expect(badLengthMessage(1.5)).toBe("check returned a number (1.5), not a whole number of bytes (bad data)");
    expect(badLengthMessage("4")).toContain('a string ("4")');
    expect(badReplyMessage("proc", 42)).toBe("proc returned a number (42), not a Uint8Array, a string, nothing or a Promise of one");
    expect(badReplyMessage("proc", new Map(), true)).toContain("resolved to an object (Map)");
  });
});

describe("tcp: check must return an integer", () => {
  for (const [label, value] of [["1.5", 1.5], ["NaN", NaN], ["Infinity", Infinity], ['"4"', "4"], ["an object", { n: 4 }]] as const) {
    test(`check returning ${label} is bad data: closed, logged with the module and the value`, async () => {
      server = startInProcess(checkReturning(value));
      const c = await connect(server.port);
      c.write("abcdef");
      await c.closed;
      expect(c.received().length).toBe(0); // nothing answered from a stream cut between bytes
      const line = server.logs.find((l) => l.includes("not a whole number of bytes"));
      expect(line).toBeDefined();
      expect(line).toContain("odd-check");
      expect(line).toContain(typeof value === "string" ? '"4"' : typeof value === "object" ? "an object" : String(value));
      // The thread is fine: the next client is served.
      server.stop();
      server = startInProcess(checkReturning(2));
      const d = await connect(server.port);
      d.write("abcd");
      expect(text(await d.waitBytes(4))).toBe("abcd");
      d.end();
    });
  }

  test("-0 counts as 0 (need more bytes), not as bad data", async () => {
    server = startInProcess(
      defineModule({ name: "neg-zero", version: "1.0.0", grocketd: "^0.1.0", check: (_b, s, e) => (e - s >= 4 ? 4 : -0), proc: (p) => p }),
    );
    const c = await connect(server.port);
    c.write("ab");
    await Bun.sleep(30);
    c.write("cd");
    expect(text(await c.waitBytes(4))).toBe("abcd");
    expect(c.isClosed()).toBe(false);
    c.end();
  });
});

describe("tcp: proc must return a reply", () => {
  for (const [label, value, named] of [["a number", 42, "a number (42)"], ["an object", { ok: true }, "an object"], ["an ArrayBuffer", new ArrayBuffer(2), "an object (ArrayBuffer)"]] as const) {
    test(`proc returning ${label} closes the connection, logged with the module and the type`, async () => {
      server = startInProcess(
        defineModule({ name: "wrong-reply", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => (text(p) === "ok" ? "fine" : (value as unknown as string)) }),
      );
      const c = await connect(server.port);
      c.write("bad");
      await c.closed;
      const line = server.logs.find((l) => l.includes("proc returned"));
      expect(line).toContain("wrong-reply");
      expect(line).toContain(`proc returned ${named}, not a Uint8Array, a string, nothing or a Promise of one`);
      const d = await connect(server.port);
      d.write("ok");
      expect(text(await d.waitBytes(4))).toBe("fine");
      d.end();
    });
  }

  test("a Promise resolving to a number closes the connection after the replies before it, logged with the type", async () => {
    server = startInProcess(
      defineModule({
        name: "late-wrong",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: (b, s, e) => (e > s ? 1 : 0),
        proc: (p) => (p[0] === 0x62 ? Promise.resolve(7 as unknown as string) : "A"),
      }),
    );
    const c = await connect(server.port);
    c.write("aab");
    await c.closed;
    expect(text(c.received())).toBe("AA");
    expect(server.logs.join("\n")).toMatch(/late-wrong.*proc's Promise resolved to a number \(7\)|proc's Promise resolved to a number \(7\).*late-wrong/);
  });
});

describe("udp: the same rules", () => {
  test("check returning 1.5 drops the datagram as bad data, logged with the value; proc returning a number drops its reply", async () => {
    udp = await startUdpServer(
      defineModule({
        name: "udp-odd",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: (b, s, e) => (b[s] === 0x66 ? 1.5 : e - s),
        proc: (p) => (p[0] === 0x6e ? (5 as unknown as string) : p),
      }),
    );
    const c = await udpClient(udp.port);
    try {
      c.send("frac");
      c.send("num");
      c.send("ok");
      expect(text((await c.waitFor(1))[0]!)).toBe("ok");
      await c.settle(30);
      expect(c.got.length).toBe(1);
      expect(udp.listener.stats).toMatchObject({ bad: 1, errors: 1 });
      const logs = udp.logs.join("\n");
      expect(logs).toContain("check returned a number (1.5), not a whole number of bytes");
      expect(logs).toContain("proc returned a number (5), not a Uint8Array, a string, nothing or a Promise of one");
    } finally {
      c.close();
    }
  });
});
