// runUdpClient: the UDP benchmark client as a function. Several client sockets (each its own source port, so the
// kernel may hash them to different server threads) in the calling thread, each with a window of outstanding kiss
// datagrams; one timer counts lost datagrams; optional once-a-second progress; one summary at the end.

import { LatencyHistogram, type LatencyPercentiles } from "./latency-histogram.ts";
import { KISS_MIN_SIZE } from "./udp-kiss-packet.ts";
import { UdpKissSocket } from "./udp-kiss-socket.ts";

export interface UdpClientOptions {
  host?: string;
  port: number;
  /** Datagrams outstanding per socket (default 64). */
  window?: number;
  /** Packet (datagram) size in bytes (default 64). */
  size?: number;
  /** Client sockets (default 1). */
  sockets?: number;
  /** Seconds of load (default 4). */
  durationSec?: number;
  /** An echo not back after this many ms counts the datagram as lost (default 500). */
  timeoutMs?: number;
  progress?: boolean;
  signal?: AbortSignal;
}

export interface UdpSummary {
  /** No mismatch, no socket error, no loss. */
  ok: boolean;
  host: string;
  port: number;
  window: number;
  size: number;
  sockets: number;
  durationSec: number;
  elapsedSec: number;
  sent: number;
  received: number;
  lost: number;
  late: number;
  mismatches: number;
  sendRefused: number;
  errors: number;
  /** Echoes received per second. */
  datagramsPerSec: number;
  /** lost / sent. */
  lossRate: number;
  latencyUs: LatencyPercentiles;
  failures: string[];
}

export async function runUdpClient(o: UdpClientOptions): Promise<UdpSummary> {
  const host = o.host ?? "127.0.0.1";
  const window = o.window ?? 64;
  const size = o.size ?? 64;
  const n = o.sockets ?? 1;
  const durationSec = o.durationSec ?? 4;
  const timeoutMs = o.timeoutMs ?? 500;
  if (!(Number.isInteger(window) && window >= 1 && Number.isInteger(n) && n >= 1)) throw new Error("window and sockets must be positive integers");
  if (!(Number.isInteger(size) && size >= KISS_MIN_SIZE && size <= 65_507)) throw new Error(`size must be ${KISS_MIN_SIZE}..65507`);
  if (!(durationSec > 0)) throw new Error("duration must be positive");

  const socks = Array.from({ length: n }, (_, index) => new UdpKissSocket({ host, port: o.port, window, size, timeoutMs, index }));
  let ticker: ReturnType<typeof setInterval> | undefined;
  let progress: ReturnType<typeof setInterval> | undefined;
  try {
    await Promise.all(socks.map((s) => s.open()));
    const t0 = performance.now();
    ticker = setInterval(() => {
      const now = performance.now();
      for (const s of socks) s.tick(now);
    }, Math.max(5, Math.min(50, timeoutMs / 4)));
    if (o.progress) {
      let last = 0;
      let sec = 0;
      progress = setInterval(() => {
        const got = socks.reduce((a, s) => a + s.received, 0);
        const lost = socks.reduce((a, s) => a + s.lost, 0);
        process.stderr.write(`[${String(++sec).padStart(3)}s] ${Math.round(got - last).toLocaleString("en-US").padStart(11)} dgram/s  lost ${lost}\n`);
        last = got;
      }, 1000);
    }
    for (const s of socks) s.start();
    await new Promise<void>((res) => {
      const timer = setTimeout(res, durationSec * 1000);
      o.signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        res();
      }, { once: true });
    });
    await Promise.all(socks.map((s) => s.finish()));
    const elapsedSec = (performance.now() - t0) / 1000;
    return summarise(socks, { host, port: o.port, window, size, sockets: n, durationSec }, elapsedSec);
  } finally {
    clearInterval(ticker);
    clearInterval(progress);
    for (const s of socks) s.close();
  }
}

function summarise(
  socks: UdpKissSocket[],
  cfg: Pick<UdpSummary, "host" | "port" | "window" | "size" | "sockets" | "durationSec">,
  elapsedSec: number,
): UdpSummary {
  const hist = new LatencyHistogram();
  const sum = (f: (s: UdpKissSocket) => number) => socks.reduce((a, s) => a + f(s), 0);
  for (const s of socks) hist.merge(s.hist);
  const sent = sum((s) => s.sent);
  const received = sum((s) => s.received);
  const lost = sum((s) => s.lost);
  const mismatches = sum((s) => s.mismatches);
  const errors = sum((s) => s.errors);
  return {
    ok: mismatches === 0 && errors === 0 && lost === 0,
    ...cfg,
    elapsedSec,
    sent,
    received,
    lost,
    late: sum((s) => s.late),
    mismatches,
    sendRefused: sum((s) => s.sendRefused),
    errors,
    datagramsPerSec: elapsedSec > 0 ? received / elapsedSec : 0,
    lossRate: sent > 0 ? lost / sent : 0,
    latencyUs: hist.percentiles(),
    failures: socks.flatMap((s) => s.failures).slice(0, 20),
  };
}
