// Interop with an independent client: Python's websockets (Debian python3-websockets; .ci/run installs it) against
// grocketd's WebSocket echo — text, binary, a fragmented message, a 70 000-byte message, ping/pong, subprotocol and
// the close handshake. Skipped, saying so, where that library is not installed.
import { afterEach, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";

const PY = "/usr/bin/python3";
const CLIENT = resolve(import.meta.dir, "fixtures/python-client.py");
const available = Bun.spawnSync([PY, "-c", "import websockets"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
let server: InProcessServer | undefined;
afterEach(() => server?.stop());

test("Python websockets: text, binary, fragmented, large, ping, subprotocol, close with code and reason", async () => {
  if (!available) {
    console.warn("skipped: Python websockets is not installed (apt-get install python3-websockets)");
    return;
  }
  const closes: Array<[number, string]> = [];
  server = startInProcess(
    { name: "py", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p, websocket: { protocols: ["echo.v1"], close: (_c, code, reason) => void closes.push([code, reason]) } },
    {},
    { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0 } },
  );
  const proc = Bun.spawn([PY, CLIENT, String(server.port)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({
    subprotocol: "echo.v1", text: "héllo", binary: [0, 1, 254, 255], fragmented: "fragmented", large: 70000, pong: true, close: [4002, "done"],
  });
  expect(closes).toEqual([[4002, "done"]]);
}, 30_000);

test("Python websockets with permessage-deflate (ws.deflate on): negotiated, compressed echoes intact, also fragmented", async () => {
  if (!available) {
    console.warn("skipped: Python websockets is not installed (apt-get install python3-websockets)");
    return;
  }
  server = startInProcess({ name: "pyz", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p }, {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0, deflate: true } });
  const proc = Bun.spawn([PY, resolve(import.meta.dir, "fixtures/python-deflate.py"), String(server.port)], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({
    extensions: "permessage-deflate; server_no_context_takeover; client_no_context_takeover", text: true, binary: true, fragmented: true, close: 1000,
  });
}, 30_000);
