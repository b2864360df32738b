// The well-behaved clients of `bench:soak`: keep-alive HTTP GETs and newline TCP echoes, one request in flight per
// connection, each answer checked and timed. A connection that is cut is counted as lost (with the time it was
// lost, so the report can match losses to threads that were killed) and reopened after a short pause.
import type { Socket } from "bun";

export interface NormalStats {
  served: number;
  /** Wrong answers and requests that got no answer within the timeout. */
  errors: number;
  /** Connections cut by the server or the kernel (a killed thread resets its connections). */
  lost: number;
  lostAt: number[];
  errorSamples: string[];
  latenciesMs: number[];
}

export function newStats(): NormalStats {
  return { served: 0, errors: 0, lost: 0, lostAt: [], errorSamples: [], latenciesMs: [] };
}

const MAX_SAMPLES = 2_000_000;

interface ClientSpec {
  port: number;
  /** Bytes of one request. */
  request(n: number): Uint8Array;
  /** Length of the complete answer at the start of `buf`, 0 while incomplete, -1 if it is wrong. */
  answerLength(buf: Uint8Array, n: number): number;
}

const enc = new TextEncoder();
const HTTP_REQ = enc.encode("GET /hello HTTP/1.1\r\nHost: soak\r\n\r\n");
const HTTP_OK = "HTTP/1.1 200";

export function httpSpec(port: number): ClientSpec {
  return {
    port,
    request: () => HTTP_REQ,
    answerLength(buf) {
      const text = Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return buf.length > 8192 ? -1 : 0;
      if (!text.startsWith(HTTP_OK)) return -1;
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end));
      if (!m) return -1;
      const total = end + 4 + Number(m[1]);
      return buf.length >= total ? (text.slice(end + 4, total) === "ok" ? total : -1) : 0;
    },
  };
}

export function tcpSpec(port: number): ClientSpec {
  return {
    port,
    request: (n) => enc.encode(`normal-${n}\n`),
    answerLength(buf, n) {
      const want = `normal-${n}\n`;
      if (buf.length < want.length) return 0;
      for (let i = 0; i < want.length; i++) if (buf[i] !== want.charCodeAt(i)) return -1;
      return want.length;
    },
  };
}

/** Runs one client until `until` (ms since epoch); resolves when it has stopped. */
export async function runNormalClient(spec: ClientSpec, stats: NormalStats, until: number, timeoutMs: number): Promise<void> {
  while (Date.now() < until) {
    await oneConnection(spec, stats, until, timeoutMs);
    if (Date.now() < until) await Bun.sleep(50);
  }
}

function oneConnection(spec: ClientSpec, stats: NormalStats, until: number, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let pending = new Uint8Array(0);
    let n = 0;
    let sentAt = 0;
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sock: Socket<undefined> | null = null;
    const finish = (lost: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (lost && Date.now() < until) {
        stats.lost++;
        stats.lostAt.push(Date.now());
      }
      sock?.end();
      resolve();
    };
    const fail = (why: string) => {
      stats.errors++;
      if (stats.errorSamples.length < 10) stats.errorSamples.push(why);
      finish(false);
    };
    const send = () => {
      if (Date.now() >= until) return finish(false);
      n++;
      sentAt = performance.now();
      timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      sock!.write(spec.request(n));
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port: spec.port,
      socket: {
        open(s) {
          sock = s;
          send();
        },
        data(_s, chunk) {
          const joined = new Uint8Array(pending.length + chunk.length);
          joined.set(pending);
          joined.set(chunk, pending.length);
          pending = joined;
          const len = spec.answerLength(pending, n);
          if (len < 0) return fail(`wrong answer: ${JSON.stringify(Buffer.from(pending.subarray(0, 80)).toString("latin1"))}`);
          if (len === 0) return;
          clearTimeout(timer);
          stats.served++;
          if (stats.latenciesMs.length < MAX_SAMPLES) stats.latenciesMs.push(performance.now() - sentAt);
          pending = pending.slice(len);
          send();
        },
        close: () => finish(true),
        error: () => finish(true),
        connectError: () => finish(true),
      },
    }).catch(() => finish(true));
  });
}
