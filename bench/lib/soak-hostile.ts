// The hostile clients of `bench:soak`, each kind keeping `count` connections misbehaving until a deadline and
// reopening what the server cuts (so the pressure stays on). Loopback only; every socket is closed at the deadline.
import type { Socket } from "bun";

export interface HostileCounter {
  opened: number;
  /** Connections the server closed on them (a timeout, a limit, a killed thread). */
  cut: number;
}

type Behaviour = {
  /** Called once the connection is open; may start its own timer, returned to be cleared at close. */
  open(s: Socket<undefined>): ReturnType<typeof setInterval> | undefined;
};

const enc = new TextEncoder();

async function keepOpen(port: number, count: number, until: number, counter: HostileCounter, b: Behaviour): Promise<void> {
  const one = async (): Promise<void> => {
    while (Date.now() < until) {
      await new Promise<void>((resolve) => {
        let timer: ReturnType<typeof setInterval> | undefined;
        let sock: Socket<undefined> | null = null;
        const stopAt = setTimeout(() => sock?.terminate(), Math.max(0, until - Date.now()));
        const done = (cut: boolean) => {
          clearInterval(timer);
          clearTimeout(stopAt);
          if (cut && Date.now() < until) counter.cut++;
          resolve();
        };
        Bun.connect({
          hostname: "127.0.0.1",
          port,
          socket: {
            open(s) {
              sock = s;
              counter.opened++;
              timer = b.open(s);
            },
            data() {},
            close: () => done(true),
            error: () => done(true),
            connectError: () => done(false),
          },
        }).catch(() => done(false));
      });
      if (Date.now() < until) await Bun.sleep(100);
    }
  };
  await Promise.all(Array.from({ length: count }, one));
}

/** Slowloris: a request head that never ends, one header line a second. */
export function slowloris(port: number, count: number, until: number, c: HostileCounter): Promise<void> {
  return keepOpen(port, count, until, c, {
    open(s) {
      s.write("GET / HTTP/1.1\r\nHost: soak\r\n");
      return setInterval(() => s.write("X-Slow: 1\r\n"), 1000);
    },
  });
}

/** A request body trickled one byte every 3 s (a body that would never end). */
export function slowBody(port: number, count: number, until: number, c: HostileCounter): Promise<void> {
  return keepOpen(port, count, until, c, {
    open(s) {
      s.write("POST / HTTP/1.1\r\nHost: soak\r\nContent-Length: 100000\r\n\r\n");
      return setInterval(() => s.write("x"), 3000);
    },
  });
}

/** Slow readers: 32 pipelined GET /big (256 KiB each), then the client never reads. */
export function slowReaders(port: number, count: number, until: number, c: HostileCounter): Promise<void> {
  const reqs = enc.encode("GET /big HTTP/1.1\r\nHost: soak\r\n\r\n".repeat(32));
  return keepOpen(port, count, until, c, {
    open(s) {
      s.pause();
      s.write(reqs);
      return undefined;
    },
  });
}

/** A TCP pipeline that writes echo packets as fast as the kernel takes them and never reads an answer. */
export function neverReading(port: number, count: number, until: number, c: HostileCounter): Promise<void> {
  const burst = enc.encode("flood-packet\n".repeat(512));
  return keepOpen(port, count, until, c, {
    open(s) {
      s.pause();
      return setInterval(() => s.write(burst), 20);
    },
  });
}

/** A packet whose reply never comes ("HOLD"), then a stream of small packets behind it. */
export function holdThenStream(port: number, count: number, until: number, c: HostileCounter): Promise<void> {
  const burst = enc.encode("a\n".repeat(4096));
  return keepOpen(port, count, until, c, {
    open(s) {
      s.write("HOLD\n");
      return setInterval(() => s.write(burst), 20);
    },
  });
}

/** TLS port connections that never send a ClientHello. */
export function noHandshake(port: number, count: number, until: number, c: HostileCounter): Promise<void> {
  return keepOpen(port, count, until, c, { open: () => undefined });
}

/** Sends one line on a fresh TCP connection and closes it after `holdMs` (for SPIN: the thread stalls). */
export async function oneShotTcp(port: number, line: string, holdMs: number): Promise<void> {
  const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, error() {}, close() {} } }).catch(() => null);
  if (!s) return;
  s.write(line);
  await Bun.sleep(holdMs);
  s.terminate();
}

/** One HTTP GET on a fresh connection (for /crash: the thread exits), not waiting for an answer past `holdMs`. */
export async function oneShotHttp(port: number, path: string, holdMs: number): Promise<void> {
  await oneShotTcp(port, `GET ${path} HTTP/1.1\r\nHost: soak\r\n\r\n`, holdMs);
}
