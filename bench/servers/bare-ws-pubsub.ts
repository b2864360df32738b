// The least a WebSocket fan-out on Bun.listen can do, for bench/pubsub-fanout.ts: the floor of grocketd's topic
// delivery (the same socket API and one write per subscriber per read), with no module, topic table, bound or check.
// Every upgraded socket is a subscriber; the whole frames of one read (unmasked in place by bare-ws-echo.ts's code,
// so they are already server frames) go to every other socket in one write each, as Bun.serve's ws.publish leaves
// out the sender. A short write closes that subscriber (the bench paces so none fills). Not a server to use.
// Prints "listening <port>"; SIGTERM stops it.
import type { Socket } from "bun";
import { type Conn, inBuf, unmaskFrames, upgrade } from "./bare-ws-echo.ts";

type Sub = Conn & { at: number };
const subs: Array<Socket<Sub>> = [];

function leave(s: Socket<Sub>): void {
  const i = s.data.at;
  if (i < 0) return;
  const last = subs.pop()!;
  if (last !== s) (subs[i] = last), (last.data.at = i);
  s.data.at = -1;
}

function publish(from: Socket<Sub>, chunk: Uint8Array): void {
  const w = unmaskFrames(from, chunk);
  if (w === 0) return;
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i]!;
    if (s !== from && s.write(inBuf, 0, w) !== w) s.end();
  }
}

if (import.meta.main) {
  const server = Bun.listen<Sub>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      binaryType: "uint8array",
      open(s) {
        s.data = { open: false, kept: null, at: -1 };
      },
      data(s, chunk) {
        if (s.data.open) return publish(s, chunk);
        upgrade(s, chunk);
        s.data.at = subs.push(s) - 1;
      },
      close: leave,
      error: leave,
    },
  });
  process.on("SIGTERM", () => {
    server.stop(true);
    process.exit(0);
  });
  console.log(`listening ${server.port}`);
}
