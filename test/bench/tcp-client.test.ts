// Tests for the kiss client (bench/tcp-client.ts, bench/lib/kiss-*.ts): correct counts against the bare echo server,
// split and coalesced replies, and failure reports against broken echoes (corrupted, reordered, closed, stalled).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { resolve } from "node:path";
import { type ChildServer, startServer } from "../../bench/lib/child-server.ts";
import { runKissClient } from "../../bench/lib/kiss-client.ts";
import { KISS_SIZE, allocKissSlots, writeKiss } from "../../bench/lib/kiss-packet.ts";
import { LatencyHistogram } from "../../bench/lib/latency-histogram.ts";


const repo = resolve(import.meta.dir, "../..");
let bare: ChildServer;
const listeners: TCPSocketListener<unknown>[] = [];

beforeAll(async () => {
  bare = await startServer("bare", [process.execPath, "bench/bare-echo-server.ts", "--port", "0"], { cwd: repo });
});

afterAll(async () => {
  for (const l of listeners) l.stop(true);
  await bare?.stop();
});

/** An in-process echo whose reply for each chunk is decided by `reply(conn, chunk)` (null = send nothing). */
function brokenEcho<T>(init: () => T, reply: (s: Socket<T>, chunk: Buffer) => Uint8Array | null): number {
  const l = Bun.listen<T>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = init();
      },
      data(s, chunk) {
        const out = reply(s, chunk);
        if (out && out.length) s.write(out, 0, out.length);
      },
    },
  });
  listeners.push(l as TCPSocketListener<unknown>);
  return l.port;
}

describe("kiss packet", () => {
  test("is id, space, NUL, then 'A' padding to 44 bytes", () => {
    const buf = allocKissSlots(1);
    writeKiss(buf, 0, 71351);
    expect(buf.length).toBe(KISS_SIZE);
    expect(buf.toString("latin1")).toBe("71351 \0" + "A".repeat(37));
    writeKiss(buf, 0, 1234567, false);
    expect(buf.toString("latin1")).toBe("1234567 \0" + "A".repeat(35));
  });

  test("latency histogram percentiles are within 1 %", () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10000; i++) h.record(i);
    expect(Math.abs(h.quantile(0.5) - 5000) / 5000).toBeLessThan(0.01);
    expect(Math.abs(h.quantile(0.99) - 9900) / 9900).toBeLessThan(0.01);
    expect(h.quantile(1)).toBe(10000);
    expect(h.count).toBe(10000);
  });
});

describe("against the bare echo server", () => {
  test("ping-pong: exact request count, zero mismatches", async () => {
    const s = await runKissClient({ port: bare.port, connections: 8, pipeline: 1, requests: 800 });
    expect(s.ok).toBe(true);
    expect(s.requests).toBe(800);
    expect(s.mismatches).toBe(0);
    expect(s.bytesSent).toBe(800 * KISS_SIZE);
    expect(s.bytesReceived).toBe(800 * KISS_SIZE);
    expect(s.latencyUs.count).toBe(800);
    expect(s.latencyUs.p50).toBeGreaterThan(0);
  });

  test("pipeline 8, uneven split over connections", async () => {
    const s = await runKissClient({ port: bare.port, connections: 8, pipeline: 8, requests: 4003 });
    expect(s.ok).toBe(true);
    expect(s.requests).toBe(4003);
    expect(s.failedConnections).toBe(0);
  });

  test("duration mode on two Worker threads", async () => {
    const s = await runKissClient({ port: bare.port, connections: 8, pipeline: 4, durationSec: 0.5, threads: 2 });
    expect(s.ok).toBe(true);
    expect(s.perThread.length).toBe(2);
    expect(s.perThread.every((t) => t.requests > 0 && t.connections === 4)).toBe(true);
    expect(s.elapsedSec).toBeGreaterThanOrEqual(0.5);
    expect(s.elapsedSec).toBeLessThan(1.5);
  });

  test("CLI: exit 0 and a JSON summary as the last stdout line", async () => {
    const p = Bun.spawn(
      [process.execPath, "bench/tcp-client.ts", "--port", String(bare.port), "--connections", "4", "--pipeline", "2", "--requests", "400", "--json", "--no-progress"],
      { cwd: repo, stdout: "pipe", stderr: "pipe" },
    );
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    expect(code).toBe(0);
    const summary = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(summary.requests).toBe(400);
    expect(summary.ok).toBe(true);
  });
});

describe("bare echo server", () => {
  test("a late reader still gets all 16 MiB back in order (short writes, drain queue)", async () => {
    const data = Buffer.alloc(16 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 255;
    const got = Buffer.alloc(data.length);
    let sent = 0;
    let recv = 0;
    const pump = (s: Socket<undefined>) => {
      while (sent < data.length) {
        const n = s.write(data, sent, data.length - sent);
        if (n <= 0) return;
        sent += n;
      }
    };
    await new Promise<void>((done, fail) => {
      void Bun.connect({
        hostname: "127.0.0.1",
        port: bare.port,
        socket: {
          open(s) {
            // Not reading for a while fills both directions, so the server's writes come back short.
            s.pause();
            setTimeout(() => s.resume(), 200);
            pump(s);
          },
          drain: pump,
          data(s, chunk) {
            if (recv + chunk.length > got.length) return fail(new Error("too many bytes"));
            got.set(chunk, recv);
            recv += chunk.length;
            if (recv === data.length) {
              s.end();
              done();
            }
          },
          error: (_s, e) => fail(e),
          close: () => (recv === data.length ? done() : fail(new Error(`closed after ${recv} bytes`))),
        },
      }).catch(fail);
    });
    expect(got.equals(data)).toBe(true);
  });
});

describe("replies split and coalesced", () => {
  test("an echo that replies in 7-byte pieces, held back and sent in bursts", async () => {
    // Holds bytes and writes them in odd-sized pieces from a timer, so reads split packets and coalesce several.
    const port = brokenEcho<{ held: Buffer[]; timer: ReturnType<typeof setTimeout> | null }>(
      () => ({ held: [], timer: null }),
      (s, chunk) => {
        s.data.held.push(Buffer.from(chunk));
        s.data.timer ??= setTimeout(() => {
          const all = Buffer.concat(s.data.held);
          s.data.held = [];
          s.data.timer = null;
          for (let off = 0; off < all.length; off += 7) s.write(all, off, Math.min(7, all.length - off));
        }, 1);
        return null;
      },
    );
    const s = await runKissClient({ port, connections: 4, pipeline: 8, requests: 2000 });
    expect(s.mismatches).toBe(0);
    expect(s.ok).toBe(true);
    expect(s.requests).toBe(2000);
  });
});

describe("client short writes", () => {
  test("a late reader forces short writes; the client keeps the rest and resends on drain", async () => {
    // 100000 packets in flight (4.4 MB) against a server that does not read for 100 ms overflow the socket buffers.
    type Q = { rest: Buffer | null };
    const flush = (s: Socket<Q>) => {
      const r = s.data.rest!;
      const n = s.write(r, 0, r.length);
      s.data.rest = n === r.length ? null : r.subarray(Math.max(0, n));
    };
    const l = Bun.listen<Q>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          s.data = { rest: null };
          s.pause();
          setTimeout(() => s.resume(), 100);
        },
        data(s, chunk) {
          if (s.data.rest) {
            s.data.rest = Buffer.concat([s.data.rest, chunk]);
            return flush(s);
          }
          const n = s.write(chunk);
          if (n < chunk.length) s.data.rest = chunk.subarray(Math.max(0, n));
        },
        drain(s) {
          if (s.data.rest) flush(s);
        },
      },
    });
    listeners.push(l as TCPSocketListener<unknown>);
    const s = await runKissClient({ port: l.port, connections: 1, pipeline: 100_000, requests: 250_001 });
    expect(s.mismatches).toBe(0);
    expect(s.ok).toBe(true);
    expect(s.requests).toBe(250_001);
  });
});

describe("against broken echoes", () => {
  test("one corrupted byte in the 100th reply is reported as a mismatch", async () => {
    const at = 99 * KISS_SIZE + 20;
    const port = brokenEcho(
      () => ({ seen: 0 }),
      (s, chunk) => {
        const from = s.data.seen;
        s.data.seen += chunk.length;
        if (at < from || at >= s.data.seen) return chunk;
        const out = Buffer.from(chunk);
        out[at - from] = 0x42;
        return out;
      },
    );
    const s = await runKissClient({ port, connections: 2, pipeline: 1, requests: 400 });
    expect(s.ok).toBe(false);
    expect(s.mismatches).toBe(2);
    expect(s.failureCounts.mismatch).toBe(2);
    expect(s.failures[0]!.message).toContain("compare failed: request 100");
    expect(s.requests).toBe(2 * 99);
  });

  test("two replies swapped is reported", async () => {
    // Splits the stream into packets and sends the 6th before the 5th.
    const port = brokenEcho(
      () => ({ buf: Buffer.alloc(0), n: 0, held: null as Buffer | null }),
      (s, chunk) => {
        let buf = Buffer.concat([s.data.buf, chunk]);
        const out: Buffer[] = [];
        while (buf.length >= KISS_SIZE) {
          const pkt = buf.subarray(0, KISS_SIZE);
          buf = buf.subarray(KISS_SIZE);
          s.data.n++;
          if (s.data.n === 5) s.data.held = pkt;
          else {
            out.push(pkt);
            if (s.data.held) out.push(s.data.held);
            s.data.held = null;
          }
        }
        s.data.buf = buf;
        return Buffer.concat(out);
      },
    );
    const s = await runKissClient({ port, connections: 1, pipeline: 4, requests: 100 });
    expect(s.ok).toBe(false);
    expect(s.mismatches).toBe(1);
    expect(s.failures[0]!.message).toContain("request 5");
  });

  test("a server that closes early is reported", async () => {
    const port = brokenEcho(
      () => ({ seen: 0 }),
      (s, chunk) => {
        s.data.seen += chunk.length;
        if (s.data.seen >= 50 * KISS_SIZE) {
          s.end();
          return null;
        }
        return chunk;
      },
    );
    const s = await runKissClient({ port, connections: 3, pipeline: 1, requests: 600 });
    expect(s.ok).toBe(false);
    expect(s.failureCounts["early-close"]).toBe(3);
    expect(s.requests).toBe(3 * 49);
  });

  test("a server that stops replying is reported after the timeout", async () => {
    const port = brokenEcho(
      () => ({ seen: 0 }),
      (s, chunk) => {
        s.data.seen += chunk.length;
        return s.data.seen > 20 * KISS_SIZE ? null : chunk;
      },
    );
    const t0 = performance.now();
    const s = await runKissClient({ port, connections: 2, pipeline: 1, requests: 200, timeoutSec: 0.3 });
    expect(s.ok).toBe(false);
    expect(s.failureCounts.timeout).toBe(2);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  test("extra bytes after the last reply are reported", async () => {
    const port = brokenEcho(
      () => ({}),
      (_s, chunk) => Buffer.concat([chunk, Buffer.from("x")]),
    );
    const s = await runKissClient({ port, connections: 1, pipeline: 1, requests: 10 });
    expect(s.ok).toBe(false);
    expect(s.mismatches).toBe(1);
  });

  test("connection refused is reported", async () => {
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = l.port;
    l.stop(true);
    const s = await runKissClient({ port, connections: 2, pipeline: 1, requests: 10 });
    expect(s.ok).toBe(false);
    expect(s.failureCounts.connect).toBe(2);
  });

  test("CLI: exit code 1 on a mismatch", async () => {
    const port = brokenEcho(
      () => ({}),
      (_s, chunk) => {
        const out = Buffer.from(chunk);
        out[out.length - 1] = 0x5a;
        return out;
      },
    );
    const p = Bun.spawn(
      [process.execPath, "bench/tcp-client.ts", "--port", String(port), "--connections", "1", "--requests", "5", "--json", "--no-progress"],
      { cwd: repo, stdout: "pipe", stderr: "pipe" },
    );
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect(code).toBe(1);
    expect(err).toContain("compare failed");
    expect(JSON.parse(out.trim().split("\n").at(-1)!).mismatches).toBe(1);
  });
});
