// Interop with an independent client: the `ws` npm package (a dev dependency), run under Node by
// test/ws/fixtures/ws-npm-client.mjs, against grocketd's WebSocket echo — text, binary, messages sent in several
// frames (`fin: false`), a 70 000-byte message, ping/pong, subprotocol and the close handshake with code and reason.
// Node, not Bun: Bun resolves `import "ws"` to its own shim over Bun's WebSocket. Skipped, saying so, without Node.
import { afterEach, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";

const NODE = Bun.which("node");
const CLIENT = resolve(import.meta.dir, "fixtures/ws-npm-client.mjs");
let server: InProcessServer | undefined;
afterEach(() => server?.stop());

test("ws npm client (Node): text, binary, fragmented, large, ping, subprotocol, close with code and reason", async () => {
  if (!NODE) {
    console.warn("skipped: node is not on PATH (the ws npm client runs under Node)");
    return;
  }
  const closes: Array<[number, string]> = [];
  server = startInProcess(
    { name: "wsnpm", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p, websocket: { protocols: ["echo.v1"], close: (_c, code, reason) => void closes.push([code, reason]) } },
    {},
    { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0 } },
  );
  const proc = Bun.spawn([NODE, CLIENT, String(server.port)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({
    subprotocol: "echo.v1",
    text: [false, "héllo"],
    binary: [true, [0, 1, 254, 255]],
    fragmented: [false, "fragé-mented"],
    fragmentedBinary: [true, [1, 2, 3]],
    large: [70000, true],
    pong: "ws-npm",
    close: [4002, "done"],
  });
  expect(closes).toEqual([[4002, "done"]]);
}, 30_000);

test("ws npm client (Node) with permessage-deflate (ws.deflate on): negotiated without context takeover, compressed echoes intact", async () => {
  if (!NODE) {
    console.warn("skipped: node is not on PATH (the ws npm client runs under Node)");
    return;
  }
  server = startInProcess({ name: "wsz", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p }, {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0, deflate: true } });
  const proc = Bun.spawn([NODE, resolve(import.meta.dir, "fixtures/ws-npm-deflate.mjs"), String(server.port)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({
    extensions: "permessage-deflate", // ws lists the names; the parameters the 101 carries are checked in deflate.test.ts
    text: [false, true], binary: [true, true], short: "hi", fewBytes: true, close: 1000,
  });
}, 30_000);
