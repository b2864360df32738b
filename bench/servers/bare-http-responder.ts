// The floor of any Bun.listen HTTP server, for `bun run bench:http` (column "bare-bun", issue 17 goal 1): no parsing
// at all. Each chunk is copied into one buffer (as a server copies what it reads), the requests in it are counted by
// their "\r\n\r\n" (a terminator split across reads is found: the last 3 bytes are carried over), and as many canned
// "Hello, World!" responses go back in one write, with the same head as grocketd's hello module (Content-Type,
// Content-Length, a Date refreshed once a second). A short write keeps the rest and sends it on drain, in order.
// What grocketd does beyond this (llhttp, the request object, the hook, the response writer) is what it costs over
// the floor; what this costs over uWebSockets is Bun's socket layer.
// `bun bench/servers/bare-http-responder.ts [--port 0] [--tls-cert FILE --tls-key FILE]` prints
// "listening on http(s)://127.0.0.1:<port>"; SIGTERM stops it. A bench server only: it answers anything that ends
// in a blank line, bodies are not skipped.
import type { Socket } from "bun";

const BODY = "Hello, World!";
/** Responses prepared back to back, so up to this many pipelined requests are answered from one slice. */
const BATCH = 64;

let one = Buffer.alloc(0);
let many = Buffer.alloc(0);
function render(): void {
  one = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nDate: ${new Date().toUTCString()}\r\n\r\n${BODY}`, "latin1");
  many = Buffer.alloc(one.length * BATCH);
  for (let i = 0; i < BATCH; i++) one.copy(many, i * one.length);
}
render();

const CRLFCRLF = Buffer.from("\r\n\r\n");
/** The read buffer every chunk is copied into (after the connection's carried-over bytes); grows for a larger chunk. */
let scratch = Buffer.allocUnsafe(64 * 1024);

interface Conn {
  /** Up to 3 bytes at the end of the last chunk that may begin a "\r\n\r\n". */
  carry: Buffer | null;
  /** Response bytes the kernel did not take yet. */
  rest: Buffer | null;
}

function send(s: Socket<Conn>, b: Buffer): void {
  if (s.data.rest !== null) {
    s.data.rest = Buffer.concat([s.data.rest, b]);
    return;
  }
  const n = s.write(b, 0, b.length);
  if (n >= 0 && n < b.length) s.data.rest = Buffer.from(b.subarray(n)); // a copy: `many` changes every second
}

function answer(s: Socket<Conn>, n: number): void {
  for (; n > 0; n -= BATCH) {
    const k = Math.min(n, BATCH);
    send(s, k === 1 ? one : many.subarray(0, k * one.length));
  }
}

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const cert = arg("--tls-cert");
const key = arg("--tls-key");
const server = Bun.listen<Conn>({
  hostname: "127.0.0.1",
  port: Number(arg("--port") ?? 0),
  ...(cert && key ? { tls: { cert: Bun.file(cert), key: Bun.file(key) } } : {}),
  socket: {
    open(s) {
      s.data = { carry: null, rest: null };
    },
    data(s, chunk) {
      const carry = s.data.carry;
      const c = carry === null ? 0 : carry.length;
      const len = c + chunk.length;
      if (scratch.length < len) scratch = Buffer.allocUnsafe(len * 2);
      if (carry !== null) carry.copy(scratch, 0);
      scratch.set(chunk, c);
      const data = scratch.subarray(0, len); // a view: indexOf must not look at an earlier chunk's bytes past len
      let n = 0;
      let next = 0;
      for (let at = data.indexOf(CRLFCRLF, 0); at >= 0; at = data.indexOf(CRLFCRLF, next)) {
        n++;
        next = at + 4;
      }
      const keep = Math.max(next, len - 3);
      s.data.carry = keep < len ? Buffer.from(data.subarray(keep)) : null;
      if (n > 0) answer(s, n);
    },
    drain(s) {
      const rest = s.data.rest;
      if (rest === null) return;
      s.data.rest = null;
      send(s, rest);
    },
    error() {},
  },
});

setInterval(render, 1000).unref();
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
console.log(`listening on ${cert ? "https" : "http"}://127.0.0.1:${server.port}`);
