// Server push on one I/O thread (in process): conn.send from a timer, from another connection's proc, from an async
// job, in order with owed replies; backpressure (send's answer, drained()), a slow consumer dropped past
// io.max_buffered without stalling the others; send after close; topics on one thread; ctx.send by id.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule, type Conn } from "../../src/index.ts";
import { connect } from "../helpers/tcp-client.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { lineCheck } from "../helpers/line-check.ts";
import { S_PS_DELIVERIES, S_PS_DROP_SLOW, S_PS_PUBLISHES, S_PS_PUSHES, S_PS_SUBSCRIPTIONS, S_PS_TOPICS, S_PS_UNKNOWN_ID } from "../../src/stats/stat-fields.ts";
import { until } from "../helpers/until.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const mod = (def: Partial<Parameters<typeof defineModule>[0]>) =>
  defineModule({ name: "push", version: "1.0.0", grocketd: "^0.1.0", check: lineCheck, ...def } as Parameters<typeof defineModule>[0]);

describe("conn.send", () => {
  test("from a timer: pushes arrive in order, and send returns true below high water", async () => {
    const results: boolean[] = [];
    server = startInProcess(
      mod({
        accept(conn: Conn) {
          let n = 0;
          const t = setInterval(() => {
            results.push(conn.send(`tick ${n}\n`));
            if (++n === 5) clearInterval(t);
          }, 5);
          return undefined;
        },
        proc: () => null,
      }),
    );
    const c = await connect(server.port);
    const want = "tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n";
    expect(text(await c.waitBytes(want.length))).toBe(want);
    expect(results).toEqual([true, true, true, true, true]);
    expect(server.io.stats[S_PS_PUSHES]).toBe(5);
    c.end();
  });

  test("from another connection's proc: a packet on one connection is pushed to the other", async () => {
    const byName = new Map<string, Conn>();
    server = startInProcess(
      mod({
        proc(p: Uint8Array, conn: Conn) {
          const [cmd, arg = ""] = text(p).trim().split(" ");
          if (cmd === "NAME") byName.set(arg, conn);
          else if (cmd === "TO") byName.get(arg)!.send(`from ${conn.id}\n`);
          return "ok\n";
        },
      }),
    );
    const a = await connect(server.port);
    const b = await connect(server.port);
    a.write("NAME a\n");
    await a.waitBytes(3);
    b.write("TO a\n");
    await b.waitBytes(3);
    const ids = [...server.io.conns].map((c) => (c as unknown as Conn).id);
    const got = text(await a.waitBytes(3 + "from \n".length + String(ids[1]).length));
    expect(got).toBe(`ok\nfrom ${ids[1]}\n`);
    a.end();
    b.end();
  });

  test("a push made while an async reply is owed leaves after that reply; pushes keep their order", async () => {
    server = startInProcess(
      mod({
        async proc(p: Uint8Array, conn: Conn) {
          const n = text(p).trim();
          // Pushed while this proc is pending (its reply is owed): must come after "reply n".
          setTimeout(() => conn.send(`push ${n}a\n`), 1);
          setTimeout(() => conn.send(`push ${n}b\n`), 2);
          await Bun.sleep(30);
          return `reply ${n}\n`;
        },
      }),
    );
    const c = await connect(server.port);
    c.write("1\n");
    const want = "reply 1\npush 1a\npush 1b\n";
    expect(text(await c.waitBytes(want.length))).toBe(want);
    c.end();
  });

  test("from an async job inside proc: pushes interleave with later replies in the order they were made", async () => {
    server = startInProcess(
      mod({
        proc(p: Uint8Array, conn: Conn) {
          const n = text(p).trim();
          if (n === "job") {
            void (async () => {
              for (let i = 0; i < 3; i++) {
                await Bun.sleep(5);
                conn.send(`job ${i}\n`);
              }
            })();
            return "started\n";
          }
          return `echo ${n}\n`;
        },
      }),
    );
    const c = await connect(server.port);
    c.write("job\n");
    const want = "started\njob 0\njob 1\njob 2\n";
    expect(text(await c.waitBytes(want.length))).toBe(want);
    c.write("x\n");
    expect(text(await c.waitBytes(want.length + 7))).toBe(want + "echo x\n");
    c.end();
  });

  test("after close: send is a no-op returning false, even from a timer (no throw)", async () => {
    let kept: Conn | undefined;
    let closedCalled = false;
    server = startInProcess(
      mod({
        accept(conn: Conn) {
          kept = conn;
          return undefined;
        },
        close() {
          closedCalled = true;
        },
        proc: () => null,
      }),
    );
    const c = await connect(server.port);
    await until(() => kept !== undefined, "accept");
    c.end();
    await until(() => closedCalled, "close hook");
    const r = await new Promise<boolean>((resolve) => setTimeout(() => resolve(kept!.send("late\n")), 1));
    expect(r).toBe(false);
    await expect(kept!.drained()).resolves.toBeUndefined();
    expect(kept!.subscribe("t")).toBe(false);
  });

  test("a slow consumer is dropped past io.max_buffered, counted, and the others keep receiving", async () => {
    const conns: Conn[] = [];
    const answers: boolean[] = [];
    server = startInProcess(
      mod({
        accept(conn: Conn) {
          conns.push(conn);
          return undefined;
        },
        proc: () => null,
      }),
      { high_water: 64 * 1024, max_buffered: 256 * 1024 },
    );
    const slow = await connect(server.port);
    slow.pause(); // never reads: the kernel buffers fill, then the server's queue
    const fast = await connect(server.port);
    await until(() => conns.length === 2, "two connections");
    const chunk = new Uint8Array(16 * 1024).fill(120);
    let fastGot = 0;
    // Push until the slow one is dropped; the fast one reads everything meanwhile.
    for (let i = 0; i < 2000 && !slow.isClosed(); i++) {
      answers.push(conns[0]!.send(chunk));
      conns[1]!.send(chunk);
      fastGot += chunk.length;
      if (i % 16 === 0) await Bun.sleep(1);
    }
    await slow.closed;
    expect(server.io.stats[S_PS_DROP_SLOW]).toBe(1);
    expect(answers).toContain(false); // past high water before the drop
    expect(conns[0]!.send("x")).toBe(false);
    expect(server.logs.filter((l) => l.includes("slow consumer: output waiting past io.max_buffered")).length).toBe(1);
    await fast.waitBytes(fastGot, 10_000);
    expect(fast.isClosed()).toBe(false);
    fast.end();
  });

  test("pushes count as activity: a connection that only receives pushes is not closed as idle", async () => {
    let conn: Conn | undefined;
    server = startInProcess(
      mod({
        accept(c: Conn) {
          conn = c;
          return undefined;
        },
        proc: () => null,
      }),
      { idle_timeout_ms: 1000 },
    );
    const c = await connect(server.port);
    await until(() => conn !== undefined, "accept");
    // 2.5 s without a read, a push every 50 ms (a pause past 1 s between two would be a machine stalled, not a bug).
    for (let i = 0; i < 50; i++) {
      if (!conn!.send(`${i % 10}\n`)) throw new Error(`push ${i} refused: ${(conn as unknown as { closeReason: string }).closeReason}`);
      await Bun.sleep(50);
    }
    expect(c.isClosed()).toBe(false);
    await c.waitBytes(100, 2000);
    const end = Date.now() + 3000;
    while (!c.isClosed() && Date.now() < end) await Bun.sleep(20);
    expect(c.isClosed()).toBe(true); // and idle once they stop
  });

  test("drained() resolves once a congested connection's queue falls below the high-water mark", async () => {
    let conn: Conn | undefined;
    server = startInProcess(
      mod({
        accept(c: Conn) {
          conn = c;
          return undefined;
        },
        proc: () => null,
      }),
      { high_water: 16 * 1024, max_buffered: 8 * 1024 * 1024 },
    );
    const c = await connect(server.port);
    c.pause();
    await until(() => conn !== undefined, "accept");
    const chunk = new Uint8Array(64 * 1024).fill(97);
    let sent = 0;
    while (conn!.send(chunk)) sent += chunk.length;
    sent += chunk.length;
    let done = false;
    const d = conn!.drained().then(() => (done = true));
    await Bun.sleep(20);
    expect(done).toBe(false);
    c.resume();
    await d;
    expect(done).toBe(true);
    await c.waitBytes(sent, 10_000);
    c.end();
  });
});

describe("topics and ids on one thread", () => {
  test("publish reaches every subscriber once, exceptSelf leaves the publisher out, subscriptions end with the connection", async () => {
    server = startInProcess(
      mod({
        proc(p: Uint8Array, conn: Conn) {
          const [cmd, arg = ""] = text(p).trim().split(" ");
          if (cmd === "SUB") return conn.subscribe(arg) ? `subbed ${conn.topics.join(",")}\n` : "no\n";
          if (cmd === "UNSUB") return conn.unsubscribe(arg) ? "unsubbed\n" : "not subbed\n";
          if (cmd === "PUB") return `delivered ${conn.publish("room", `msg ${arg}\n`, { exceptSelf: true })}\n`;
          return null;
        },
      }),
    );
    const a = await connect(server.port);
    const b = await connect(server.port);
    const c = await connect(server.port);
    for (const x of [a, b, c]) x.write("SUB room\n");
    for (const x of [a, b, c]) expect(text(await x.waitBytes("subbed room\n".length))).toBe("subbed room\n");
    expect(server.io.stats[S_PS_SUBSCRIPTIONS]).toBe(3);
    expect(server.io.stats[S_PS_TOPICS]).toBe(1);
    a.write("PUB hi\n");
    expect(text(await a.waitBytes(12 + "delivered 2\n".length))).toBe("subbed room\ndelivered 2\n");
    expect(text(await b.waitBytes(12 + 7))).toBe("subbed room\nmsg hi\n");
    expect(text(await c.waitBytes(12 + 7))).toBe("subbed room\nmsg hi\n");
    expect(server.io.stats[S_PS_PUBLISHES]).toBe(1);
    expect(server.io.stats[S_PS_DELIVERIES]).toBe(2);
    c.end();
    await until(() => server!.io.stats[S_PS_SUBSCRIPTIONS] === 2, "c's subscription to end");
    b.write("UNSUB room\n");
    await b.waitBytes(19 + 9);
    a.write("PUB again\n");
    await a.waitBytes(24 + "delivered 0\n".length);
    expect(text(a.received())).toEndWith("delivered 0\n");
    a.end();
    b.end();
    await until(() => server!.io.stats[S_PS_TOPICS] === 0, "the topic to go");
  });

  test("ctx.send by id: delivered to an open connection, 'unknown' for a closed or made-up id (counted)", async () => {
    type Ctx = Parameters<NonNullable<Parameters<typeof defineModule>[0]["init"]>>[0];
    let ctx: Ctx | undefined;
    const results: string[] = [];
    let lastClosed = 0;
    server = startInProcess(
      mod({
        proc(p: Uint8Array, conn: Conn) {
          const [cmd, arg = "0"] = text(p).trim().split(" ");
          if (cmd === "ID") return `${conn.id}\n`;
          if (cmd === "TO") results.push(ctx!.send(Number(arg), `hello from ${conn.id}\n`));
          return null;
        },
        close(conn: Conn) {
          lastClosed = conn.id;
        },
      }),
    );
    // In process there is no init: build the thread's context the way thread/io-thread.ts does.
    const { ModuleRuntime } = await import("../../src/module/module-runtime.ts");
    const rt = new ModuleRuntime([{ file: "x", def: mod({}) } as never], { role: "thread", index: 0, config: server.io.config, log: server.io.log, push: server.io.pubsub });
    ctx = rt.context(rt.order[0]!) as Ctx;
    const a = await connect(server.port);
    const b = await connect(server.port);
    a.write("ID\n");
    const aId = Number(text(await a.waitBytes(2)).trim());
    b.write(`TO ${aId}\n`);
    await until(() => results.length === 1, "send");
    expect(results[0]).toBe("sent");
    const want = `${aId}\nhello from `;
    expect(text(await a.waitBytes(want.length + 2))).toStartWith(want);
    a.end();
    await until(() => lastClosed === aId, "a to close");
    b.write(`TO ${aId}\n`);
    b.write("TO 999999\n");
    await until(() => results.length === 3, "sends");
    expect(results.slice(1)).toEqual(["unknown", "unknown"]);
    expect(server.io.stats[S_PS_UNKNOWN_ID]).toBe(2);
    b.end();
  });
});
