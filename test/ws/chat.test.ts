// modules/chat.ts serves one room to a TCP client and a WebSocket client together (a real grocketd process, two I/O
// threads, so the two clients may sit on different threads): each sees what the other says.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect, withTimeout } from "../helpers/tcp-client.ts";
import { until } from "../helpers/until.ts";

const CHAT = resolve(import.meta.dir, "../../modules/chat.ts");
const dec = new TextDecoder();
let running: Running | undefined;

beforeAll(async () => {
  running = await startGrocketd(["--module", CHAT, "--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0/chat", "--threads", "2"], { expectListening: 2 });
});
afterAll(async () => void (await running?.stop("SIGKILL")));

test("a TCP client and a WebSocket client in one room hear each other; WebSocket messages are text", async () => {
  const [tcpPort, wsPort] = running!.ports as [number, number];
  const tcp = await connect(tcpPort);
  tcp.write("JOIN lobby\n");
  await until(() => dec.decode(tcp.received()).includes("OK joined lobby"), "tcp join");
  const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/chat`);
  const got: string[] = [];
  ws.onmessage = (e) => void got.push(typeof e.data === "string" ? e.data : `binary:${String(e.data)}`);
  await withTimeout(new Promise((r) => (ws.onopen = r)), 5000, "ws open");
  ws.send("JOIN lobby"); // a message is a line: no newline needed
  await until(() => got.some((m) => m.startsWith("OK joined lobby")), "ws join");
  await until(() => dec.decode(tcp.received()).includes("joined lobby\n*") || dec.decode(tcp.received()).includes("* user"), "tcp hears the join");
  tcp.write("SAY hello from tcp\n");
  await until(() => got.some((m) => m.includes("hello from tcp")), "ws hears tcp");
  ws.send("SAY hello from the browser");
  await until(() => dec.decode(tcp.received()).includes("hello from the browser"), "tcp hears ws");
  expect(got.every((m) => !m.startsWith("binary:"))).toBe(true);
  ws.close();
  tcp.end();
});
