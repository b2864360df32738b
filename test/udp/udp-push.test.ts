// Push on UDP: a module keeps a sender's conn and sends to it after proc returned (a timer), by id (ctx.send goes
// through the thread's hub), in order after a reply owed to that sender, refused after the sender expired
// (io.idle_timeout_ms) or when larger than a datagram; and in pool mode from a handler thread.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { defineModule, type Conn } from "../../src/index.ts";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import { startUdpServer, udpClient, type UdpServer } from "./udp-harness.ts";
import { until } from "../helpers/until.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
let server: UdpServer | undefined;
let running: Running | undefined;
afterEach(async () => {
  server?.stop();
  server = undefined;
  await running?.stop("SIGKILL");
  running = undefined;
});

const mod = (proc: (p: Uint8Array, conn: Conn<undefined>) => unknown) =>
  defineModule({ name: "udp-push", version: "1.0.0", grocketd: "^0.1.0", proc: proc as never });

describe("udp push", () => {
  test("a kept conn pushes from a timer after proc returned: the datagram reaches that sender, not a later one", async () => {
    const kept: Conn<undefined>[] = [];
    server = await startUdpServer(
      mod((p, conn) => {
        if (text(p) === "keep") kept.push(conn);
        return text(p);
      }),
    );
    const a = await udpClient(server.port);
    const b = await udpClient(server.port);
    a.send("keep");
    await a.waitFor(1);
    b.send("other"); // a datagram from another sender in between
    await b.waitFor(1);
    let answer: boolean | undefined;
    await new Promise<void>((res) => setTimeout(() => ((answer = kept[0]!.send("pushed")), res()), 10));
    expect(answer).toBe(true);
    expect((await a.waitFor(2)).map(text)).toEqual(["keep", "pushed"]);
    expect((await b.settle(50)).map(text)).toEqual(["other"]);
    // The same sender keeps the same conn (and id) for its next datagram.
    a.send("keep");
    await a.waitFor(3);
    expect(kept[1]).toBe(kept[0]);
    a.close();
    b.close();
  });

  test("after the sender expired (io.idle_timeout_ms without a datagram) send is a no-op returning false", async () => {
    let kept: Conn<undefined> | undefined;
    server = await startUdpServer(mod((_p, conn) => ((kept = conn), "hi")), { idle_timeout_ms: 40 });
    const a = await udpClient(server.port);
    a.send("x");
    await a.waitFor(1);
    await Bun.sleep(120);
    server.io.clock = performance.now(); // senders age by the coarse clock, which a real thread's housekeeping tick refreshes; this harness has no tick
    expect(kept!.send("late")).toBe(false);
    expect(server.io.pubsub.send(kept!.id, "late")).toBe("unknown");
    expect((await a.settle(50)).map(text)).toEqual(["hi"]);
    // A datagram brings the sender back, with a fresh conn.
    const first = kept;
    a.send("y");
    await a.waitFor(2);
    expect(kept).not.toBe(first);
    expect(kept!.send("again")).toBe(true);
    expect((await a.waitFor(3)).map(text)).toEqual(["hi", "hi", "again"]);
    a.close();
  });

  test("ctx.send(id) to a UDP conn: the hub delivers a datagram to that sender", async () => {
    let id = 0;
    server = await startUdpServer(mod((_p, conn) => ((id = conn.id), null)));
    const a = await udpClient(server.port);
    a.send("hello");
    await until(() => id > 0, "the datagram's proc"); // was a fixed 30 ms
    expect(id).toBeGreaterThan(0);
    expect(server.io.pubsub.send(id, "by id")).toBe("sent");
    expect((await a.waitFor(1)).map(text)).toEqual(["by id"]);
    a.close();
  });

  test("a push made while an async reply to that sender is owed leaves after that reply", async () => {
    const answers: boolean[] = [];
    server = await startUdpServer(
      mod((p, conn) => {
        if (text(p) !== "slow") return text(p);
        setTimeout(() => answers.push(conn.send("push 1"), conn.send("push 2")), 20);
        return Bun.sleep(120).then(() => "reply");
      }),
    );
    const a = await udpClient(server.port);
    a.send("slow");
    expect((await a.waitFor(3)).map(text)).toEqual(["reply", "push 1", "push 2"]);
    expect(answers).toEqual([true, true]);
    a.close();
  });

  test("a push larger than a UDP datagram is refused: false, logged once", async () => {
    let kept: Conn<undefined> | undefined;
    server = await startUdpServer(mod((_p, conn) => ((kept = conn), null)));
    const a = await udpClient(server.port);
    a.send("x");
    await Bun.sleep(30);
    const big = new Uint8Array(70_000);
    expect(kept!.send(big)).toBe(false);
    expect(kept!.send(big)).toBe(false);
    expect(server.listener.stats.pushRefused).toBe(2);
    expect(server.logs.filter((l) => l.includes("does not fit in a UDP datagram")).length).toBe(1);
    expect(kept!.send("small")).toBe(true);
    expect((await a.waitFor(1)).map(text)).toEqual(["small"]);
    a.close();
  });

  test("pool mode: a handler thread's kept conn pushes after proc returned, and after an owed reply", async () => {
    running = await startGrocketd(["--module", resolve(import.meta.dir, "../fixtures/modules/udp-push.ts"), "--listen", "udp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "2" },
      expectListening: 1,
    });
    const a = await udpClient(running.ports[0]!);
    a.send("keep");
    expect((await a.waitFor(3, 5000)).map(text)).toEqual(["kept", "probe", "pushed ok"]);
    const b = await udpClient(running.ports[0]!);
    b.send("slow");
    expect((await b.waitFor(2, 5000)).map(text)).toEqual(["slow", "push"]);
    a.close();
    b.close();
  });
});
