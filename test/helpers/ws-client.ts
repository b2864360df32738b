// A raw WebSocket client over a plain test socket (test/helpers/tcp-client.ts): it sends the handshake and frames
// byte for byte as the test says, and reads the server's 101 (or refusal) and frames back.
import { connect, type TestClient } from "./tcp-client.ts";
import { parseServerFrames, type ServerFrame } from "./ws-frames.ts";

const dec = new TextDecoder();
export const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

export function handshake(path = "/ws", extra: Record<string, string> = {}): string {
  const h: Record<string, string> = {
    Host: "127.0.0.1", Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": KEY, "Sec-WebSocket-Version": "13", ...extra,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(h).filter(([, v]) => v !== "").map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
}

export interface RawWs {
  c: TestClient;
  /** The response head (status line and headers). */
  head: string;
  status: number;
  /** Frames received after the head (waits until `n` are there). */
  frames(n: number, timeoutMs?: number): Promise<ServerFrame[]>;
}

export async function openRaw(port: number, path = "/ws", extra: Record<string, string> = {}): Promise<RawWs> {
  const c = await connect(port);
  c.write(handshake(path, extra));
  const deadline = performance.now() + 5000;
  let end = -1;
  while (end < 0) {
    if (performance.now() > deadline) throw new Error(`no response head: ${dec.decode(c.received())}`);
    if (c.isClosed() && dec.decode(c.received()).indexOf("\r\n\r\n") < 0) throw new Error("closed before the head");
    end = dec.decode(c.received()).indexOf("\r\n\r\n");
    if (end < 0) await Bun.sleep(5);
  }
  const all = dec.decode(c.received());
  const head = all.slice(0, end);
  const headBytes = Buffer.byteLength(all.slice(0, end + 4));
  const status = Number(head.split(" ")[1]);
  return {
    c,
    head,
    status,
    async frames(n, timeoutMs = 5000) {
      const until = performance.now() + timeoutMs;
      for (;;) {
        const { frames } = parseServerFrames(c.received().subarray(headBytes));
        if (frames.length >= n) return frames;
        if (performance.now() > until || (c.isClosed() && parseServerFrames(c.received().subarray(headBytes)).frames.length < n)) {
          if (c.isClosed()) return frames;
          throw new Error(`waited for ${n} frames, got ${frames.length}`);
        }
        await Bun.sleep(5);
      }
    },
  };
}
