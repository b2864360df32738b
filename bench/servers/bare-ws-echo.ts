// The least a WebSocket echo on Bun.listen can do, for bench/ws-syscalls.ts: the floor of grocketd's transport (the
// same socket API, data callback and write), with no module, cork or checks beyond what the bench's frames need. The
// upgrade is answered with the §4.2.2 accept key; each read's whole frames are unmasked in the thread's buffer and
// echoed in one write, a partial frame kept for the next read. Masked frames of < 64 KiB only, no control frames
// (the bench sends none); a short write closes the connection (the bench never fills a socket). Not a server to use.
// Its upgrade and frame unmasking are shared with the fan-out floor, bare-ws-pubsub.ts.
// Prints "listening <port>"; SIGTERM stops it.
import type { Socket } from "bun";
import { createHash } from "node:crypto";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
export type Conn = { open: boolean; kept: Buffer | null };
/** The thread's buffer: after unmaskFrames, its first bytes are the read's whole frames as a server sends them. */
export const inBuf = Buffer.allocUnsafeSlow(256 * 1024);

export function upgrade(s: Socket<Conn>, chunk: Uint8Array): void {
  const req = Buffer.from(chunk).toString("latin1");
  const key = /sec-websocket-key:\s*(\S+)/i.exec(req)?.[1] ?? "";
  const accept = createHash("sha1").update(key + GUID).digest("base64");
  s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  s.data.open = true;
}

/** Unmasks the whole frames of `chunk` (after what the last read kept) into inBuf from 0; returns their length. */
export function unmaskFrames(s: Socket<Conn>, chunk: Uint8Array): number {
  let end = chunk.length;
  const kept = s.data.kept;
  if (kept !== null) {
    inBuf.set(kept, 0);
    inBuf.set(chunk, kept.length);
    end += kept.length;
    s.data.kept = null;
  } else inBuf.set(chunk, 0);
  let off = 0;
  let w = 0;
  while (end - off >= 2) {
    let len = inBuf[off + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      if (end - off < 4) break;
      len = (inBuf[off + 2]! << 8) | inBuf[off + 3]!;
      head = 4;
    }
    const k = off + head;
    const start = k + 4;
    if (end - start < len) break;
    inBuf[w] = inBuf[off]!;
    if (len < 126) inBuf[w + 1] = len;
    else (inBuf[w + 1] = 126), (inBuf[w + 2] = len >>> 8), (inBuf[w + 3] = len & 0xff);
    const at = w + (len < 126 ? 2 : 4);
    const m0 = inBuf[k]!, m1 = inBuf[k + 1]!, m2 = inBuf[k + 2]!, m3 = inBuf[k + 3]!;
    for (let i = 0; i < len; i++) inBuf[at + i] = inBuf[start + i]! ^ (i % 4 === 0 ? m0 : i % 4 === 1 ? m1 : i % 4 === 2 ? m2 : m3);
    w = at + len;
    off = start + len;
  }
  if (off < end) s.data.kept = Buffer.from(inBuf.subarray(off, end));
  return w;
}

function echo(s: Socket<Conn>, chunk: Uint8Array): void {
  const w = unmaskFrames(s, chunk);
  if (w > 0 && s.write(inBuf, 0, w) !== w) s.end();
}

if (import.meta.main) {
  const server = Bun.listen<Conn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      binaryType: "uint8array",
      open(s) {
        s.data = { open: false, kept: null };
      },
      data(s, chunk) {
        if (s.data.open) echo(s, chunk);
        else upgrade(s, chunk);
      },
    },
  });
  process.on("SIGTERM", () => {
    server.stop(true);
    process.exit(0);
  });
  console.log(`listening ${server.port}`);
}
