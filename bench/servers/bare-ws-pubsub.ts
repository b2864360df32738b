// The least a WebSocket fan-out on Bun.listen can do, for bench/pubsub-fanout.ts: the floor of grocketd's topic
// delivery (the same socket API and one write per subscriber per read), with no module, topic table, bound or check.
// Every upgraded socket is a subscriber; the whole frames of one read (unmasked in place by bare-ws-echo.ts's code,
// so they are already server frames) go to every other socket in one write each, as Bun.serve's ws.publish leaves
// out the sender. A short write closes that subscriber (the bench paces so none fills). Not a server to use.
// `--threads N`: N Workers on one port (reusePort, the kernel spreads the connections as it does grocketd's); the
// thread that read the frames writes them to its own subscribers and posts one copy per read to the others on a
// BroadcastChannel, which write it to theirs: the floor of a fan-out over N threads of one process.
// Prints "listening <port>"; SIGTERM stops it.
import type { Socket, TCPSocketListenOptions } from "bun";
import { type Conn, inBuf, unmaskFrames, upgrade } from "./bare-ws-echo.ts";

/** The frames one thread read, for the others (threads > 1). */
let peers: BroadcastChannel | null = null;

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
  // A control frame (the client's close, at the end of a run) is not published: the socket ends, as a real server's
  // would after its close handshake. Published, each of a thousand closes went to every other subscriber.
  if (hasControlFrame(inBuf, w)) return void from.end();
  writeAll(from, inBuf, w);
  peers?.postMessage(inBuf.slice(0, w));
}

/** Whether the server frames in bytes[0, w) (unmasked, as unmaskFrames leaves them) include a control frame. */
function hasControlFrame(bytes: Uint8Array, w: number): boolean {
  for (let off = 0; off < w; ) {
    if ((bytes[off]! & 0x08) !== 0) return true;
    const len = bytes[off + 1]! & 0x7f;
    off += len < 126 ? 2 + len : 4 + ((bytes[off + 2]! << 8) | bytes[off + 3]!);
  }
  return false;
}

function writeAll(from: Socket<Sub> | null, bytes: Uint8Array, w: number): void {
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i]!;
    if (s !== from && s.write(bytes, 0, w) !== w) s.end();
  }
}

/** Bun.listen takes reusePort at run time although its types leave it out (docs/platform-notes.md, "SO_REUSEPORT"). */
type ListenOptions = TCPSocketListenOptions<Sub> & { reusePort?: boolean };
/** A Worker's side of its messages with the main thread. */
type WorkerScope = { onmessage: ((e: MessageEvent<{ port: number }>) => void) | null; postMessage(m: string): void };

function listen(port: number, reusePort: boolean): { port: number; stop(closeActive: boolean): void } {
  const opts: ListenOptions = {
    hostname: "127.0.0.1",
    port,
    reusePort,
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
  };
  return Bun.listen<Sub>(opts);
}

const threads = Math.max(1, Number(process.argv[process.argv.indexOf("--threads") + 1]) || 1);
if (!Bun.isMainThread) {
  // A Worker: listen on the port the main thread chose, and write what the other threads read to this one's subscribers.
  const scope = globalThis as unknown as WorkerScope;
  scope.onmessage = (e) => {
    peers = new BroadcastChannel("bare-ws-pubsub");
    peers.onmessage = (m) => writeAll(null, m.data as Uint8Array, (m.data as Uint8Array).length);
    listen(e.data.port, true);
    scope.postMessage("ready");
  };
} else if (import.meta.main && threads === 1) {
  const server = listen(0, false);
  process.on("SIGTERM", () => {
    server.stop(true);
    process.exit(0);
  });
  console.log(`listening ${server.port}`);
} else if (import.meta.main) {
  // A free port for all the Workers, found by listening once and closing (a listener kept open until they are up
  // would take some of the first connections itself).
  const probe = listen(0, false);
  const port = probe.port;
  probe.stop(true);
  let ready = 0;
  for (let i = 0; i < threads; i++) {
    const w = new Worker(import.meta.path, { argv: process.argv.slice(2) });
    w.onmessage = () => {
      if (++ready === threads) console.log(`listening ${port}`);
    };
    w.postMessage({ port });
  }
  process.on("SIGTERM", () => process.exit(0));
}
