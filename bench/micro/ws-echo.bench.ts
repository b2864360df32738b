/**
 * Microbenchmark of one WebSocket read event through the whole server layer (frame reader: parse, unmask, UTF-8
 * check; the echo module's proc; the reply framed in place and corked), with a socket that accepts everything:
 * grocketd's JavaScript per message, without the kernel. Masked 32-byte text frames as bench/ws-compare.ts sends
 * them, 1 and 16 per read. The connection is upgraded the real way (an HTTP upgrade request through llhttp).
 *
 *   bun bench/micro/ws-echo.bench.ts
 */
import { bench, group, run } from "mitata";
import type { ModuleDefinition } from "../../src/module/types.ts";
import echo from "../modules/ws-echo.ts";
import { fakeSocket } from "./fake-socket.ts";
import { fakeHttpConnection } from "./fake-http.ts";

const def = echo as ModuleDefinition<unknown>;

/** An upgraded connection on a fake socket: what to call with each read (the socket's owner after the 101). */
export function wsConnection(): { onData(b: Uint8Array): void; socket: { written: number } } {
  const { c, s: socket } = fakeHttpConnection(def, true);
  const upgrade = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  c.onData(Buffer.from(upgrade, "latin1"));
  const owner = (socket as { data?: { onData(b: Uint8Array): void } }).data;
  if (owner === undefined || owner === (c as unknown) || !String(socket.written)) throw new Error("the upgrade did not hand the socket over");
  return { onData: (b) => owner.onData(b), socket: socket as never };
}

/** A masked client text frame of `size` bytes (header 2 or 4 bytes, key, payload XORed with it). */
export function clientFrame(size: number, key = [0x37, 0xfa, 0x21, 0x3d]): Buffer {
  const p = Buffer.alloc(size, "x");
  const head = size < 126 ? [0x81, 0x80 | size] : [0x81, 0x80 | 126, size >>> 8, size & 0xff];
  const f = Buffer.alloc(head.length + 4 + size);
  f.set(head, 0);
  f.set(key, head.length);
  for (let i = 0; i < size; i++) f[head.length + 4 + i] = p[i]! ^ key[i & 3]!;
  return f;
}

const one = clientFrame(32);
const sixteen = Buffer.concat(Array.from({ length: 16 }, () => one));

/**
 * The least a JavaScript echo must do per read, on the same fake socket: copy the chunk (Bun's is only valid during
 * the call), parse the header, unmask in place, write header and payload. grocketd's figure minus this one is what
 * grocketd does beyond a bare Bun.listen echo.
 */
export function bareEcho(): { onData(b: Uint8Array): void; socket: { written: number } } {
  const socket = fakeSocket();
  const inBuf = Buffer.allocUnsafeSlow(64 * 1024);
  return {
    socket: socket as never,
    onData(chunk) {
      const end = chunk.length;
      inBuf.set(chunk, 0);
      let off = 0;
      let w = 0;
      while (end - off >= 6) {
        const len = inBuf[off + 1]! & 0x7f; // 32-byte frames only
        const k = off + 2;
        const start = k + 4;
        const at = w + 2;
        for (let i = 0; i < len; i++) inBuf[at + i] = inBuf[start + i]! ^ inBuf[k + (i & 3)]!;
        inBuf[w] = 0x81;
        inBuf[w + 1] = len;
        w = at + len;
        off = start + len;
      }
      (socket.write as (b: Uint8Array, o: number, n: number) => number)(inBuf, 0, w);
    },
  };
}

/** One read, checking what it wrote: `n` echoes of 2 + 32 bytes. */
function check(c: { onData(b: Uint8Array): void; socket: { written: number } }, chunk: Uint8Array, n: number): void {
  const before = c.socket.written;
  c.onData(new Uint8Array(chunk));
  if (c.socket.written - before !== n * (2 + 32)) throw new Error(`wrote ${c.socket.written - before} bytes, want ${n * 34}`);
}

if (import.meta.main) {
  const a = wsConnection();
  const b = wsConnection();
  const c = bareEcho();
  const d = bareEcho();
  check(a, one, 1);
  check(b, sixteen, 16);
  check(c, one, 1);
  check(d, sixteen, 16);
  // Each read is a fresh chunk, as Bun's socket hands one to the data handler.
  group("ws read event, echo module, 32-byte text (fake socket)", () => {
    bench("grocketd: 1 message per read", () => a.onData(new Uint8Array(one)));
    bench("grocketd: 16 messages per read (/16 per message)", () => b.onData(new Uint8Array(sixteen)));
    bench("bare echo: 1 message per read", () => c.onData(new Uint8Array(one)));
    bench("bare echo: 16 messages per read (/16 per message)", () => d.onData(new Uint8Array(sixteen)));
  });
  await run();
}
