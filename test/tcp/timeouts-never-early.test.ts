// Connection timeouts give the client all of its time: io.idle_timeout_ms (TCP) and http.keep_alive_timeout_ms (HTTP)
// close a connection no sooner than their length after the last byte the client saw. Activity is stamped with the
// thread's coarse clock (src/io/housekeeping.ts), which may lag the event by up to a tick; a check against that clock
// alone fired up to a tick (a quarter of the timeout) early. Several connections, opened at spread phases of the tick.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { connect } from "../helpers/tcp-client.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { kiss, KISS_SIZE } from "../helpers/kiss.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

const TIMEOUT_MS = 400; // the tick is a quarter of it: 100 ms
const CONNS = 6;
/** Loopback and the in-process event loop: the server's write and the client's read are well under this apart. */
const SLACK_MS = 3;

const module = defineModule({
  name: "echo",
  version: "1.0.0",
  grocketd: "^0.1.0",
  check: (_b: Uint8Array, s: number, e: number) => (e - s >= KISS_SIZE ? KISS_SIZE : 0),
  proc: (p) => p,
  http: () => "ok",
});

const cases = [
  { name: "TCP io.idle_timeout_ms", start: () => startInProcess(module, { idle_timeout_ms: TIMEOUT_MS }), request: kiss(1), answer: KISS_SIZE },
  {
    name: "HTTP http.keep_alive_timeout_ms",
    start: () => startInProcess(module, {}, { protocol: "http", http: { keep_alive_timeout_ms: TIMEOUT_MS } }),
    request: "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    answer: 0,
  },
];

describe("timeouts never fire early", () => {
  for (const c of cases) {
    test(`${c.name}: closed no sooner than the timeout after the last answer, whatever the tick's phase`, async () => {
      server = c.start();
      const idleFor = await Promise.all(
        Array.from({ length: CONNS }, async (_, i) => {
          await Bun.sleep((i * 100) / CONNS); // spread over one tick
          const client = await connect(server!.port);
          client.write(c.request);
          // The answer: the last byte either side sends before the connection goes idle.
          if (c.answer > 0) await client.waitBytes(c.answer);
          else while (!new TextDecoder().decode(client.received()).includes("\r\n\r\nok")) await client.waitBytes(client.received().length + 1);
          const answered = performance.now();
          await Promise.race([client.closed, Bun.sleep(TIMEOUT_MS + 5000)]);
          expect(client.isClosed()).toBe(true);
          return performance.now() - answered;
        }),
      );
      for (const ms of idleFor) expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - SLACK_MS);
      // Late by at most two ticks on a quiet machine; a loaded one delays ticks, so the upper bound is loose.
      for (const ms of idleFor) expect(ms).toBeLessThan(TIMEOUT_MS + 4000);
    });
  }
});
