// Pool mode, the close sequence: a client that leaves while a handler thread still owes it a reply. The module's
// `close` runs on the handler thread once, after the last reply, as inline; so the I/O thread sends CLOSE once that
// reply is in. It never did: the connection forgot its owed replies when the socket closed, so the late reply was
// ignored, CLOSE never went, and the handler's conn (and the I/O thread's endpoint for it) stayed for ever.
import { afterEach, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { Ring } from "../../src/ring/ring.ts";
import { RingLink } from "../../src/pool/ring-link.ts";
import { K_CLOSE, K_OPEN, K_PACKET, K_REPLY } from "../../src/pool/pool-protocol.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { until } from "../helpers/until.ts";

let server: InProcessServer | undefined;
let handler: RingLink | undefined;
afterEach(async () => {
  server?.stop();
  server = undefined;
  await handler?.stop();
  handler = undefined;
});

test("a client that leaves while a reply is owed: CLOSE reaches the handler thread once, when that reply is in", async () => {
  const pair = { req: Ring.create(1024 * 1024).sab, res: Ring.create(1024 * 1024).sab };
  server = startInProcess(defineModule({ name: "echo", version: "1.0.0", grocketd: "^0.1.0", proc: (p: Uint8Array) => p }), {}, { pool: [pair] });
  // The test plays the handler thread: it records what arrives and answers nothing until told.
  const kinds: number[] = [];
  let owed: { no: number; seq: number } | null = null;
  const h: RingLink = (handler = new RingLink(
    pair,
    "handler",
    (kind, no, seq) => {
      kinds.push(kind);
      if (kind === K_PACKET) owed = { no, seq };
    },
    (e) => {
      throw e;
    },
  ));
  h.start();
  const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {} } });
  client.write("x");
  await until(() => owed !== null, "the packet to reach the handler");
  client.terminate(); // gone at once, with the reply still owed
  const io = server.io;
  await until(() => io.conns.size === 0, "the server to see the connection closed");
  await Bun.sleep(50);
  expect(kinds).toEqual([K_OPEN, K_PACKET]); // close waits for the owed reply, as inline
  const reply = new TextEncoder().encode("x");
  h.send(K_REPLY, owed!.no, owed!.seq, 0, reply, 0, reply.length);
  await until(() => kinds.includes(K_CLOSE), "CLOSE after the owed reply");
  await Bun.sleep(50);
  expect(kinds).toEqual([K_OPEN, K_PACKET, K_CLOSE]);
});
