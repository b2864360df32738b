// Replies: async replies finishing out of order leave in order; close()/drop(); throwing and rejecting procs;
// what each kind of return value does.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { connect } from "../helpers/tcp-client.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { lineCheck } from "../helpers/line-check.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("replies", () => {
  test("async replies that finish out of order still leave in packet order, interleaved with sync ones", async () => {
    server = startInProcess(
      defineModule({
        name: "slow-fast",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        proc(p) {
          const n = Number(text(p).trim());
          if (n % 3 === 0) return `${n}\n`; // sync
          // Earlier packets wait longer, so they finish last.
          return Bun.sleep((40 - n) * 2).then(() => `${n}\n`);
        },
      }),
    );
    const c = await connect(server.port);
    const req = Array.from({ length: 40 }, (_, i) => `${i}\n`).join("");
    c.write(req);
    const got = await c.waitBytes(req.length);
    expect(text(got)).toBe(req);
    c.end();
  });

  test("an async proc's packet stays intact while later reads arrive (its buffer is never overwritten)", async () => {
    server = startInProcess(
      defineModule({
        name: "late-reader",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        async proc(p) {
          await Bun.sleep(20);
          return p; // read after more input has been received on this and other connections
        },
      }),
    );
    const a = await connect(server.port);
    const b = await connect(server.port);
    const lines = Array.from({ length: 30 }, (_, i) => `line-${i}-${"x".repeat(i)}\n`);
    for (const l of lines) {
      a.write(l.slice(0, 3));
      b.write(l.toUpperCase());
      await Bun.sleep(1);
      a.write(l.slice(3));
    }
    const all = lines.join("");
    expect(text(await a.waitBytes(all.length))).toBe(all);
    expect(text(await b.waitBytes(all.length))).toBe(all.toUpperCase());
  });

  test("conn.close() sends this reply and earlier ones, then closes; later packets are not processed", async () => {
    let seen = 0;
    server = startInProcess(
      defineModule({
        name: "bye",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        proc(p, conn) {
          seen++;
          if (text(p) === "quit\n") conn.close();
          return `ok ${text(p)}`;
        },
      }),
    );
    const c = await connect(server.port);
    c.write("a\nquit\nb\n");
    await c.closed;
    expect(text(c.received())).toBe("ok a\nok quit\n");
    expect(seen).toBe(2);
  });

  test("conn.drop() discards this reply, keeps earlier ones, closes", async () => {
    server = startInProcess(
      defineModule({
        name: "dropper",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        proc(p, conn) {
          if (text(p) === "bad\n") conn.drop();
          return `ok ${text(p)}`;
        },
      }),
    );
    const c = await connect(server.port);
    c.write("a\nbad\nb\n");
    await c.closed;
    expect(text(c.received())).toBe("ok a\n");
  });

  test("a proc that throws closes only that connection; the thread serves the next client", async () => {
    server = startInProcess(
      defineModule({
        name: "thrower",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        proc(p) {
          if (text(p).startsWith("boom")) throw new Error("kaboom");
          return p;
        },
      }),
    );
    const a = await connect(server.port);
    a.write("1\nboom\n2\n");
    await a.closed;
    expect(text(a.received())).toBe("1\n");
    expect(server.logs.join("\n")).toMatch(/proc threw; closing connection.*module=thrower.*error=kaboom/);
    const b = await connect(server.port);
    b.write("next\n");
    expect(text(await b.waitBytes(5))).toBe("next\n");
    b.end();
  });

  test("a rejecting async proc closes the connection after the replies before it", async () => {
    server = startInProcess(
      defineModule({
        name: "rejecter",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        async proc(p) {
          await Bun.sleep(1);
          if (text(p).startsWith("no")) throw new Error("refused");
          return p;
        },
      }),
    );
    const a = await connect(server.port);
    a.write("1\n2\nno\n3\n");
    await a.closed;
    expect(text(a.received())).toBe("1\n2\n");
    expect(server.logs.join("\n")).toMatch(/proc rejected; closing connection.*error=refused/);
  });

  test("a sync reply waiting behind an async one is not overwritten by later reads on other connections", async () => {
    server = startInProcess(
      defineModule({
        name: "wait-in-line",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        proc(p) {
          if (text(p) === "slow\n") return Bun.sleep(60).then(() => "SLOW\n");
          return p; // a view of the thread's input buffer, held in line until "slow" settles
        },
      }),
    );
    const a = await connect(server.port);
    const b = await connect(server.port);
    a.write("slow\n");
    await Bun.sleep(10);
    a.write("b1\nb2\n");
    await Bun.sleep(10);
    b.write("zz\nzz\n"); // lands at the same offsets of the same thread buffer
    expect(text(await b.waitBytes(6))).toBe("zz\nzz\n");
    expect(text(await a.waitBytes(11))).toBe("SLOW\nb1\nb2\n");
    a.end();
    b.end();
  });

  test("drop() and a throwing proc still send the async replies owed for earlier packets, then close", async () => {
    server = startInProcess(
      defineModule({
        name: "late-then-drop",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        proc(p, conn) {
          const t = text(p);
          if (t.startsWith("slow")) return Bun.sleep(40).then(() => t.toUpperCase());
          if (t === "drop\n") {
            conn.drop();
            return "never\n";
          }
          if (t === "boom\n") throw new Error("kaboom");
          return p;
        },
      }),
    );
    const a = await connect(server.port);
    a.write("slow1\nx\nslow2\ndrop\nafter\n");
    await a.closed;
    expect(text(a.received())).toBe("SLOW1\nx\nSLOW2\n");
    const b = await connect(server.port);
    b.write("slow3\nboom\nafter\n");
    await b.closed;
    expect(text(b.received())).toBe("SLOW3\n");
  });

  test("a proc returning a wrong type is reported and closes the connection", async () => {
    server = startInProcess(
      defineModule({ name: "wrong", version: "1.0.0", grocketd: "^0.1.0", proc: () => 42 as unknown as string }),
    );
    const a = await connect(server.port);
    a.write("x");
    await a.closed;
    expect(server.logs.join("\n")).toMatch(/not a Uint8Array, a string, nothing or a Promise/);
  });

  test("returning nothing sends nothing; a string is sent as UTF-8", async () => {
    server = startInProcess(
      defineModule({
        name: "quiet",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        proc: (p) => (text(p) === "say\n" ? "héllo ✓\n" : undefined),
      }),
    );
    const c = await connect(server.port);
    c.write("mute\nsay\n");
    const want = new TextEncoder().encode("héllo ✓\n");
    expect(await c.waitBytes(want.length)).toEqual(want);
    c.end();
  });
});
