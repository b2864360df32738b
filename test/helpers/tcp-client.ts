// A small promise-based TCP client for tests: collect bytes, wait for N bytes or for the close.
import type { Socket } from "bun";

export interface TestClient {
  readonly socket: Socket<undefined>;
  /** Everything received so far. */
  received(): Uint8Array;
  write(data: Uint8Array | string): void;
  /** Resolves once at least n bytes have arrived (rejects on close or timeout). */
  waitBytes(n: number, timeoutMs?: number): Promise<Uint8Array>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
  pause(): void;
  resume(): void;
}

/** `opts.tls`: connect over TLS (the test servers' certificates are self-signed: not verified). */
export async function connect(port: number, host = "127.0.0.1", opts: { tls?: boolean } = {}): Promise<TestClient> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let isClosed = false;
  let onClose!: () => void;
  const closed = new Promise<void>((r) => (onClose = r));
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  let pendingOut: Uint8Array[] = [];
  const handshake = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: host,
    port,
    tls: opts.tls === true ? { rejectUnauthorized: false } : undefined,
    socket: {
      binaryType: "uint8array",
      handshake: () => handshake.resolve(),
      data(_s, d) {
        chunks.push(new Uint8Array(d));
        total += d.length;
        wake();
      },
      drain(s) {
        while (pendingOut.length > 0) {
          const b = pendingOut[0]!;
          const w = s.write(b, 0, b.length);
          if (w < b.length) {
            pendingOut[0] = b.subarray(Math.max(0, w));
            return;
          }
          pendingOut.shift();
        }
      },
      close() {
        isClosed = true;
        onClose();
        wake();
      },
      error() {},
    },
  });
  if (opts.tls === true) await handshake.promise;
  const received = () => {
    if (chunks.length !== 1) {
      const all = new Uint8Array(total);
      let o = 0;
      for (const c of chunks) {
        all.set(c, o);
        o += c.length;
      }
      chunks.length = 0;
      chunks.push(all);
    }
    return chunks[0] ?? new Uint8Array(0);
  };
  return {
    socket,
    received,
    write(data) {
      const b = typeof data === "string" ? new TextEncoder().encode(data) : data;
      if (pendingOut.length > 0) {
        pendingOut.push(b);
        return;
      }
      const w = socket.write(b, 0, b.length);
      if (w < b.length) pendingOut.push(b.subarray(Math.max(0, w)));
    },
    waitBytes(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} bytes (have ${total})`)), timeoutMs);
        const check = () => {
          if (total >= n) {
            clearTimeout(timer);
            resolve(received());
          } else if (isClosed) {
            clearTimeout(timer);
            reject(new Error(`connection closed after ${total} of ${n} bytes`));
          } else waiters.push(check);
        };
        check();
      });
    },
    closed,
    isClosed: () => isClosed,
    end: () => socket.end(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out: ${what}`)), ms))]);
}

/** Waits until the client has received text matching `re` (searching everything received so far). */
export async function untilReceived(c: TestClient, re: RegExp, ms = 5000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  for (;;) {
    const got = new TextDecoder().decode(c.received());
    const m = got.match(re);
    if (m) return m;
    if (Date.now() > end || c.isClosed()) throw new Error(`no ${re} in ${JSON.stringify(got)}`);
    await Bun.sleep(5);
  }
}
