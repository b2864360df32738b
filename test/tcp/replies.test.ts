// Replies and the thread's input buffer: a packet (or a reply that is a view of it) held by a pending async reply
// is never overwritten by later reads on this or other connections. Reply order, return values, close()/drop() and
// failing procs are the proc contract's (test/contract/proc-contract.ts, run for every transport and mode).
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

});
