// What slow HTTP readers cost the server beyond the bytes it queued for them (issue 12 item 11: 200 of them with a
// 1 MiB high water swung the RSS up to 1.5 GB while they caught up). Measured in the output queues themselves: the
// memory their blocks hold against the bytes queued, and the block memory allocated while readers catch up (the old
// queue allocated a new block, sized to the rest, on every partial write: the unit test at the end shows the churn).
// No timing is asserted.
import { afterEach, expect, test } from "bun:test";
import type { Socket } from "bun";
import { defineModule } from "../../src/index.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import * as outputQueue from "../../src/io/output-queue.ts";
import { OutputQueue } from "../../src/io/output-queue.ts";

/** The queue's block size (64 KiB); written out so the held-memory checks also run against older queues. */
const BLOCK = 64 * 1024;

let server: InProcessServer | undefined;
const clients: Socket<undefined>[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
  server?.stop();
  server = undefined;
});

const BIG = 256 * 1024;
const big = "x".repeat(BIG);
const CONNS = 20;
const PIPELINE = 32;

/** Per connection: bytes queued and bytes its queue's blocks hold. */
function queues(s: InProcessServer): Array<{ queued: number; held: number }> {
  return [...s.io.conns].map((c) => {
    const out = (c as unknown as { out: { bytes: number; blocks: Uint8Array[] } | null }).out;
    return { queued: out?.bytes ?? 0, held: out === null ? 0 : out.blocks.reduce((n, b) => n + b.length, 0) };
  });
}

test("slow readers: each queue holds its queued bytes plus at most two blocks; catching up reuses blocks instead of allocating", async () => {
  server = startInProcess(defineModule({ name: "big", version: "1.0.0", grocketd: "^0.1.0", http: () => big }), { high_water: 1 << 20 }, { protocol: "http" });
  const port = server.port;
  // Blocks other tests' connections may still hold in this thread (none, unless one of them lingers).
  const held0 = outputQueue.queueMemory?.held ?? 0;
  let received = 0;
  const request = new TextEncoder().encode("GET /big HTTP/1.1\r\nHost: h\r\n\r\n".repeat(PIPELINE));
  for (let i = 0; i < CONNS; i++) {
    const c = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => {
          s.pause();
          s.write(request);
        },
        data: (_s, d) => void (received += d.length),
      },
    });
    clients.push(c);
  }
  // Wait until every connection has answered into a full queue (the readers read nothing yet).
  for (let i = 0; i < 200 && queues(server).filter((q) => q.queued > 0).length < CONNS; i++) await Bun.sleep(20);
  const stalled = queues(server);
  expect(stalled.filter((q) => q.queued > 0)).toHaveLength(CONNS);
  for (const q of stalled) {
    expect(q.queued).toBeLessThanOrEqual((1 << 20) + 2 * BIG); // high water plus the responses of the last event
    expect(q.held).toBeLessThanOrEqual(q.queued + 2 * BLOCK);
  }

  // The readers catch up: every block allocated from here on is memory beyond what was already held.
  const allocated0 = outputQueue.queueMemory?.allocated ?? 0;
  let peakHeld = 0;
  // Slow readers: they read in short bursts, so the queues drain and refill many times over.
  const want = CONNS * PIPELINE * BIG;
  for (let i = 0; i < 3000 && received < want; i++) {
    for (const c of clients) c.resume();
    await Bun.sleep(2);
    for (const c of clients) c.pause();
    await Bun.sleep(10);
    const now = queues(server);
    for (const q of now) expect(q.held).toBeLessThanOrEqual(q.queued + 2 * BLOCK);
    peakHeld = Math.max(peakHeld, now.reduce((n, q) => n + q.held, 0));
  }
  expect(received).toBeGreaterThanOrEqual(want);
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  const allocated = outputQueue.queueMemory.allocated - allocated0;
  console.log(`peak held ${mib(peakHeld)}; queue blocks allocated while catching up ${mib(allocated)}; sent ${mib(received)}`);
  // Blocks go round: what is allocated while the readers catch up is bounded by what was held at the peak plus the
  // thread's free list, not by the bytes sent.
  expect(allocated).toBeLessThanOrEqual(peakHeld + 64 * BLOCK);
  // Closed connections give their blocks back.
  for (const c of clients.splice(0)) c.end();
  for (let i = 0; i < 200 && server.io.conns.size > 0; i++) await Bun.sleep(10);
  expect(outputQueue.queueMemory.held).toBeLessThanOrEqual(held0);
});

test("the output queue of a slow reader: a response per drain, partly written each time, goes round the same blocks", () => {
  // A reader that takes 100 KB per drain while the server queues a 256 KiB response each time (what a pipelined
  // slow reader does to the queue): the queue stays small, and so must the memory it churns through.
  const q = new OutputQueue();
  const sock = { write: (b: Uint8Array, _off: number, n: number) => (blocks.add(b), Math.min(n, 100_000)) };
  const blocks = new Set<Uint8Array>();
  const response = new Uint8Array(BIG).fill(0x78);
  let peakQueued = 0;
  for (let i = 0; i < 400; i++) {
    if (q.bytes < 512 * 1024) q.push(response, 0, response.length);
    peakQueued = Math.max(peakQueued, q.bytes);
    for (const b of (q as unknown as { blocks: Uint8Array[] }).blocks) blocks.add(b);
    q.flush(sock);
  }
  const distinct = [...blocks].reduce((n, b) => n + b.length, 0);
  // 400 drains moved ~40 MB; the memory behind them is the queue's peak plus the thread's free list (4 MiB), not a
  // new block per partial write (~50 MiB of them before).
  expect(peakQueued).toBeLessThanOrEqual(512 * 1024 + BIG);
  expect(distinct).toBeLessThanOrEqual(peakQueued + 2 * BLOCK + 64 * BLOCK);
  q.clear();
});
