// The I/O thread's idle garbage collection (src/io/idle-gc.ts, issue 17 goal 3): a full collection frees the
// request state that idle keep-alive connections let go of, but it pauses the thread, so it must stay bounded: never
// more often than io.idle_gc_interval_ms, never before io.idle_gc_after connections released memory, never while the
// thread reads. No timing is asserted: the waits only bound the test, the counts are what matters.
import { afterEach, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { IdleGc } from "../../src/io/idle-gc.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { connect } from "../helpers/tcp-client.ts";
import { waitResponses } from "../helpers/http-client.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

test("a stream of released connections on quiet ticks: one collection per interval at most, none below the count", () => {
  let calls = 0;
  const gc = new IdleGc(100, 10_000, () => calls++);
  let bytesIn = 0;
  // 100 s of ticks every 100 ms; 50 connections go idle every tick, and the thread reads nothing between ticks.
  for (let now = 0; now < 100_000; now += 100) {
    gc.released += 50;
    gc.tick(now, bytesIn);
  }
  expect(calls).toBeLessThanOrEqual(1 + 100_000 / 10_000);
  expect(calls).toBeGreaterThanOrEqual(100_000 / 10_000 - 1);
  expect(gc.runs).toBe(calls);
  // A thread that reads during every tick is never collected, however many connections it releases.
  calls = 0;
  const busy = new IdleGc(100, 1000, () => calls++);
  for (let now = 0; now < 100_000; now += 100) {
    busy.released += 50;
    busy.tick(now, (bytesIn += 1000));
  }
  expect(calls).toBe(0);
  // Fewer released than io.idle_gc_after: none; and 0 turns it off.
  const few = new IdleGc(1000, 1000, () => calls++);
  const off = new IdleGc(0, 1000, () => calls++);
  for (let now = 0; now < 100_000; now += 100) {
    few.released += 1;
    off.released += 1000;
    few.tick(now, bytesIn);
    off.tick(now, bytesIn);
  }
  expect(few.runs).toBe(1); // at the 1000th tick: the 1000th connection released
  expect(off.runs).toBe(0);
});

const hello = defineModule({ name: "hello", version: "1.0.0", grocketd: "^0.1.0", http: () => "hi" });

test("on a server: no more collections than the interval allows under a stream of connections, one once they idle", async () => {
  // ws.close_timeout_ms is the shortest timeout: the tick runs every 100 ms.
  server = startInProcess(hello, { idle_gc_after: 5, idle_gc_interval_ms: 1000 }, { protocol: "http", ws: { close_timeout_ms: 400 } });
  const gc = server.io.idleGc;
  const started = performance.now();
  let served = 0;
  // A stream of short connections (each one request, then closed) and keep-alive ones left idle.
  const idle = [];
  while (performance.now() - started < 2500) {
    const c = await connect(server.port);
    c.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    expect((await waitResponses(c, 1))[0]!.text).toBe("hi");
    if (served++ % 2 === 0) c.end();
    else idle.push(c);
  }
  const elapsed = performance.now() - started;
  expect(served).toBeGreaterThan(10);
  expect(gc.runs).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 1000));
  // Quiet now, with connections released since the last collection (if any): one comes within a few ticks.
  const before = gc.runs;
  for (let i = 0; i < 100 && gc.runs === before; i++) await Bun.sleep(50);
  expect(gc.runs).toBe(before + 1);
  // Quiet and nothing more released: no further collection, even past the interval.
  await Bun.sleep(1500);
  expect(gc.runs).toBe(before + 1);
  for (const c of idle) c.end();
});
