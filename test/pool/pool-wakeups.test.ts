// What the rings between an I/O thread and a handler thread cost, counted (grocketd_pool_* and
// grocketd_handler_pool_* in /metrics, src/ring/ring.ts countInto): one record each way per request, a wake-up per
// batch of records rather than per record, no wake-up at all while the server is idle, and no lost wake-up when
// both threads fall asleep between short bursts.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ROOT, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect, type TestClient } from "../helpers/tcp-client.ts";
import { KISS_SIZE, kisses } from "../helpers/kiss.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

interface Counts {
  ioRecords: number;
  ioWakeups: number;
  ioNotifies: number;
  hRecords: number;
  hWakeups: number;
  hNotifies: number;
  packets: number;
}

async function echoPool(): Promise<{ port: number; counts: () => Promise<Counts> }> {
  running = await startGrocketd(["--module", resolve(ROOT, "modules/echo.ts"), "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
    env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1", GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" },
    expectListening: 1,
  });
  const status = (await running.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const counts = async (): Promise<Counts> => {
    const m = parsePrometheus(await (await fetch(`${status}/metrics`)).text());
    const io = { thread: "0" };
    const h = { handler: "0" };
    return {
      ioRecords: sampleValue(m, "grocketd_pool_records_total", io),
      ioWakeups: sampleValue(m, "grocketd_pool_wakeups_total", io),
      ioNotifies: sampleValue(m, "grocketd_pool_notifies_total", io),
      hRecords: sampleValue(m, "grocketd_handler_pool_records_total", h),
      hWakeups: sampleValue(m, "grocketd_handler_pool_wakeups_total", h),
      hNotifies: sampleValue(m, "grocketd_handler_pool_notifies_total", h),
      packets: sampleValue(m, "grocketd_server_packets_total"),
    };
  };
  return { port: running.ports[0]!, counts };
}

function diff(a: Counts, b: Counts): Counts {
  const d = {} as Counts;
  for (const k of Object.keys(a) as (keyof Counts)[]) d[k] = b[k] - a[k];
  return d;
}

/** Sends `n` kiss packets in one write and waits for all their echoes (byte for byte). */
async function burst(c: TestClient, from: number, n: number): Promise<void> {
  const want = kisses(from, n);
  const before = c.received().length;
  c.write(want);
  const got = await c.waitBytes(before + n * KISS_SIZE, 5000);
  expect(Buffer.from(got.subarray(before, before + n * KISS_SIZE)).equals(Buffer.from(want))).toBe(true);
}

describe("pool ring wake-ups", () => {
  test("200 pipelined requests on one connection: one record each way per request, a handful of wake-ups", async () => {
    const { port, counts } = await echoPool();
    const c = await connect(port);
    await burst(c, 0, 4); // the OPEN record and the first wake-ups are behind us
    await Bun.sleep(100);
    const a = await counts();
    await burst(c, 100, 200);
    await Bun.sleep(100);
    const d = diff(a, await counts());
    expect(d.packets).toBe(200);
    expect(d.hRecords).toBe(200); // PACKET records read by the handler thread
    expect(d.ioRecords).toBe(200); // REPLY records read by the I/O thread
    // The 200 packets arrive in one read (or a few): their records go out in one publish per event-loop turn and the
    // handler answers them in one turn, so each side sleeps and is woken a few times, not once per record.
    expect(d.hWakeups).toBeGreaterThanOrEqual(1);
    expect(d.hWakeups).toBeLessThanOrEqual(10);
    expect(d.ioWakeups).toBeLessThanOrEqual(10);
    expect(d.hNotifies).toBeLessThanOrEqual(10);
    expect(d.ioNotifies).toBeLessThanOrEqual(10);
    c.end();
  });

  test("an idle pool sleeps: no wake-up and no notify on either side over 500 ms", async () => {
    const { port, counts } = await echoPool();
    const c = await connect(port);
    await burst(c, 0, 20);
    await Bun.sleep(100); // let both consumers finish their last turn and go to sleep
    const a = await counts();
    await Bun.sleep(500);
    const d = diff(a, await counts());
    expect(d).toEqual({ ioRecords: 0, ioWakeups: 0, ioNotifies: 0, hRecords: 0, hWakeups: 0, hNotifies: 0, packets: 0 });
    // And it still answers at once after the idle gap (the sleeping handler is woken).
    await burst(c, 20, 3);
    c.end();
  });

  test("short bursts with idle gaps on several connections: every reply arrives (no lost wake-up)", async () => {
    const { port, counts } = await echoPool();
    const cs = await Promise.all([0, 1, 2, 3].map(() => connect(port)));
    await burst(cs[0]!, 0, 1);
    const a = await counts();
    let id = 1;
    let sent = 0;
    const t0 = performance.now();
    // 300 bursts of 1..7 packets, on 1..4 connections at once, with gaps of 0..3 ms: both threads fall asleep and
    // are woken over and over, at every point of their consumer loops.
    for (let i = 0; i < 300 && performance.now() - t0 < 30_000; i++) {
      const k = 1 + (i % cs.length);
      const n = 1 + ((i * 7) % 7);
      await Promise.all(cs.slice(0, k).map((c) => burst(c, (id += n) - n, n)));
      sent += k * n;
      const gap = i % 4;
      if (gap > 0) await Bun.sleep(gap);
    }
    await Bun.sleep(50);
    const d = diff(a, await counts());
    expect(d.packets).toBe(sent);
    expect(d.hRecords).toBe(sent);
    expect(d.ioRecords).toBe(sent);
    expect(d.hWakeups).toBeGreaterThan(0); // the handler did fall asleep between bursts
    for (const c of cs) c.end();
  }, 40_000);
});
