// A fixed number of keep-alive GETs over N connections, one in flight on each (or `depth` pipelined: that many in one
// write, the next write once all are answered), for counting what a request costs a server (system calls, records,
// wake-ups, instructions) rather than timing it. An answer is counted by its "Hello, World!" body
// (every hello server of bench:http sends it last), so no response parsing is needed.
import { connect } from "node:net";

const REQ = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
const BODY = "Hello, World!";

/** Sends `n` requests spread over `connections` connections; resolves when all are answered, rejects after `timeoutMs`. */
export async function fixedHttpLoad(port: number, n: number, connections: number, timeoutMs = 60_000, depth = 1): Promise<void> {
  const batches = new Map<number, Buffer>();
  const batch = (k: number) => {
    let b = batches.get(k);
    if (b === undefined) batches.set(k, (b = Buffer.concat(Array.from({ length: k }, () => REQ))));
    return b;
  };
  let left = n;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${left} of ${n} requests not sent after ${timeoutMs} ms`)), timeoutMs)));
  const runs = Array.from(
    { length: Math.min(connections, n) },
    () =>
      new Promise<void>((res, rej) => {
        const s = connect(port, "127.0.0.1");
        let buf = "";
        let owed = 0;
        const next = () => {
          if (--owed > 0) return;
          if (left <= 0) {
            s.end();
            return res();
          }
          const k = Math.min(depth, left);
          left -= k;
          owed = k;
          s.write(k === 1 ? REQ : batch(k));
        };
        s.on("connect", next);
        s.on("error", rej);
        s.on("data", (d: Buffer) => {
          buf += d.toString("latin1");
          for (let at = buf.indexOf(BODY); at >= 0; at = buf.indexOf(BODY)) {
            buf = buf.slice(at + BODY.length);
            next();
          }
        });
      }),
  );
  try {
    await Promise.race([Promise.all(runs), late]);
  } finally {
    clearTimeout(timer);
  }
}
