// websocket.upgrade may return a Promise (asynchronous authentication): the connection waits for it without reading
// (frames sent with the handshake are kept and answered after the 101), a resolved refusal or a rejection answers
// with its status, and a hook that never settles is refused with 503 after ws.upgrade_timeout_ms.
import { afterEach, expect, test } from "bun:test";
import type { ModuleDefinition } from "../../src/module/types.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { handshake, openRaw } from "../helpers/ws-client.ts";
import { clientFrame } from "../helpers/ws-frames.ts";
import { connect } from "../helpers/tcp-client.ts";
import { until } from "../helpers/until.ts";

const dec = new TextDecoder();
let server: InProcessServer | undefined;
afterEach(() => server?.stop());

function start(upgrade: NonNullable<ModuleDefinition<unknown>["websocket"]>["upgrade"], ws: Record<string, number> = {}): InProcessServer {
  const def: ModuleDefinition<unknown> = {
    name: "asyncup", version: "1.0.0", grocketd: "^0.1.0",
    // The reply carries conn.state, so the test sees the state the asynchronous hook attached.
    proc: (p, conn) => `${String(conn.state)}:${dec.decode(p)}`,
    websocket: { upgrade },
  };
  server = startInProcess(def, {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0, ...ws } });
  return server;
}

test("a Promise that resolves with state: 101 after it settles; frames sent with the handshake are answered after", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const s = start(async (req) => {
    calls++;
    await gate;
    return { state: `user-${req.query.get("token")}` };
  });
  const c = await connect(s.port);
  const hs = new TextEncoder().encode(handshake("/ws?token=42"));
  const f = clientFrame(1, "early");
  const both = new Uint8Array(hs.length + f.length);
  both.set(hs);
  both.set(f, hs.length);
  c.write(both);
  c.write(clientFrame(1, "later"));
  await until(() => calls > 0, "the upgrade hook's call"); // was a fixed 100 ms
  await Bun.sleep(100); // what the server would answer too early has time to arrive
  expect(calls).toBe(1);
  expect(c.received().length).toBe(0); // nothing answered while the hook is pending
  release();
  const deadline = performance.now() + 3000;
  while (!dec.decode(c.received()).includes("user-42:later") && performance.now() < deadline) await Bun.sleep(5);
  const got = dec.decode(c.received());
  expect(got.startsWith("HTTP/1.1 101 ")).toBe(true);
  expect(got).toContain("user-42:early");
  expect(got).toContain("user-42:later");
  expect(got.indexOf("user-42:early")).toBeLessThan(got.indexOf("user-42:later"));
  c.end();
});

test("a Promise resolving to false → 403, to a status → that status, a rejection → 500", async () => {
  let answer: () => Promise<unknown> = async () => false;
  start(() => answer() as Promise<false | number>);
  expect((await openRaw(server!.port)).status).toBe(403);
  answer = async () => 401;
  expect((await openRaw(server!.port)).status).toBe(401);
  answer = async () => {
    throw new Error("auth store down");
  };
  expect((await openRaw(server!.port)).status).toBe(500);
  expect(server!.logs.some((l) => l.includes("websocket.upgrade failed"))).toBe(true);
});

test("a Promise that never settles: 503 after ws.upgrade_timeout_ms", async () => {
  start(() => new Promise(() => {}), { upgrade_timeout_ms: 200 });
  const w = await openRaw(server!.port);
  expect(w.status).toBe(503);
  expect(w.head).toContain("Connection: close");
  expect(server!.logs.some((l) => l.includes("did not settle"))).toBe(true);
});

// Reading is paused while the hook runs, so the server may learn of the FIN only after the 101 (then the WebSocket
// opens and closes at once); either way the module's close hook runs exactly once.
test("the client leaves while the hook is pending: the module's close hook runs exactly once", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let closes = 0;
  const def: ModuleDefinition<unknown> = {
    name: "asyncleave", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p,
    close: () => void closes++,
    websocket: { upgrade: async () => void (await gate) },
  };
  server = startInProcess(def, {}, { protocol: "ws", path: "/ws", ws: { ping_interval_ms: 0 } });
  const c = await connect(server.port);
  c.write(handshake());
  await Bun.sleep(50);
  c.end();
  await Bun.sleep(50);
  release();
  const deadline = performance.now() + 3000;
  while (closes === 0 && performance.now() < deadline) await Bun.sleep(5);
  await Bun.sleep(50);
  expect(closes).toBe(1);
});
