// A full ring to a handler thread pauses reading every connection pinned to it (pool mode). That time is the
// server's, not the client's: the HTTP head/body timeouts and io.idle_timeout_ms must not count it, or a slow
// handler thread gets clients a 408 (or a silent close) for requests they sent in full while we did not read.
import { afterEach, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect } from "../helpers/tcp-client.ts";
import { waitResponses } from "../helpers/http-client.ts";

const PROBE = resolve(import.meta.dir, "../fixtures/modules/pool-probe.ts");
let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

test("reading paused by a full ring is not counted against the client: no 408 or idle cut, every request answered", async () => {
  running = await startGrocketd(["--module", PROBE, "--listen", "http://127.0.0.1:0", "--threads", "1"], {
    env: {
      GROCKETD_WORKER_DISABLED: "false",
      GROCKETD_WORKER_THREADS: "1",
      GROCKETD_WORKER_RING_BYTES: "65536",
      GROCKETD_HTTP_MAX_HEAD_BYTES: "4096",
      GROCKETD_HTTP_MAX_BODY_BYTES: "32768",
      GROCKETD_HTTP_HEAD_TIMEOUT_MS: "600",
      GROCKETD_HTTP_BODY_TIMEOUT_MS: "600",
      GROCKETD_IO_IDLE_TIMEOUT_MS: "800",
    },
  });
  const port = running.ports[0]!;
  // A head begun before the ring fills; the rest of it is sent while reading is paused.
  const partial = await connect(port);
  partial.write("GET /where HTTP/1.1\r\n");
  // The only handler thread blocks for 3 s, many times the timeouts above, so it reads nothing from its ring.
  const blocker = await connect(port);
  blocker.write("GET /block?ms=3000 HTTP/1.1\r\nHost: t\r\n\r\n");
  await Bun.sleep(50);
  // 8 requests of 12 kB: more than the 64 kB ring holds, so it fills and every connection on it pauses.
  const body = "b".repeat(12_000);
  const posts = await Promise.all(Array.from({ length: 8 }, () => connect(port)));
  for (const c of posts) c.write(`POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  await Bun.sleep(300);
  // Opened while the ring is full: paused from its start, its request not read until the handler drains the ring.
  const late = await connect(port);
  late.write("GET /where HTTP/1.1\r\nHost: t\r\n\r\n");
  partial.write("Host: t\r\n\r\n");
  const [b] = await waitResponses(blocker, 1, [], 10_000);
  expect(b!.status).toBe(200);
  expect(b!.text).toBe("blocked handler-0");
  for (const c of posts) {
    const [r] = await waitResponses(c, 1, [], 10_000);
    expect(r!.status).toBe(200);
    expect(r!.text).toBe(`echo POST ${body}`);
  }
  for (const c of [partial, late]) {
    const [r] = await waitResponses(c, 1, [], 10_000);
    expect(r!.status).toBe(200);
    expect(r!.text).toBe("handler-0");
  }
});
