/**
 * @module master/port-probe
 * One port, one server. The threads (and the child processes, and the next generation during a reload) all listen
 * with SO_REUSEPORT, and the kernel lets *any* socket of the same user with SO_REUSEPORT join such a port: a second
 * grocketd, or a Bun.serve with `reusePort`, started on a port already served would silently share it, and requests
 * would alternate between two programs. So before a port is first listened on, the master binds it once *without*
 * SO_REUSEPORT: that bind fails with EADDRINUSE whenever any other socket holds the port (with or without
 * SO_REUSEPORT, on this address or on the wildcard, TCP and UDP alike), and succeeds on a free port, which it closes
 * again at once. Ports the running generation holds are not probed (a reload shares them on purpose); a reload
 * probes only the ports it adds. Port 0 needs no probe: the kernel hands out a free one.
 * (Measured with Bun 1.4.4: a holder with and without reusePort, Bun.listen and Bun.udpSocket, probed on the same
 * address and on 0.0.0.0: EADDRINUSE in all eight cases; test/process/port-ownership.test.ts.)
 * A foreign program that joins with SO_REUSEPORT *after* grocketd listens is not caught here; a later grocketd is,
 * since it probes first.
 */
import type { ListenEntry } from "../config/listen-url.ts";
import { describeError } from "../errors.ts";

type Probe = { close(): void };

const isUdp = (e: ListenEntry): boolean => e.protocol === "udp";
const keyOf = (e: ListenEntry): string => `${isUdp(e) ? "udp" : "tcp"} ${e.hostname} ${e.port}`;

function errCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

async function bindOnce(e: ListenEntry): Promise<Probe> {
  if (isUdp(e)) {
    const s = await Bun.udpSocket({ hostname: e.hostname, port: e.port });
    return { close: () => s.close() };
  }
  const l = Bun.listen({ hostname: e.hostname, port: e.port, socket: { data() {} } });
  return { close: () => l.stop(true) };
}

/**
 * Probes every entry whose port is not 0 and not in `held` (entries the running generation listens on). Returns one
 * problem line per port that cannot be used, naming it; empty when all are free. Probes stay open until all are
 * done, so two entries of this configuration on one TCP (or one UDP) port are caught too.
 */
export async function probePorts(entries: readonly ListenEntry[], held: readonly ListenEntry[] = []): Promise<string[]> {
  const heldKeys = new Set(held.map(keyOf));
  const seen = new Map<string, ListenEntry>();
  const open: Probe[] = [];
  const problems: string[] = [];
  try {
    for (const e of entries) {
      if (e.port === 0) continue;
      const key = keyOf(e);
      const twice = seen.get(key);
      if (twice) {
        problems.push(`cannot listen on ${e.url}: port ${e.port} is also used by ${twice.url} in this configuration; give each its own port`);
        continue;
      }
      seen.set(key, e);
      if (heldKeys.has(key)) continue;
      try {
        open.push(await bindOnce(e));
      } catch (err) {
        const code = errCode(err);
        problems.push(
          code === "EADDRINUSE"
            ? `cannot listen on ${e.url}: ${isUdp(e) ? "UDP" : "TCP"} port ${e.port} is already in use by another process (EADDRINUSE); ` +
                `stop it or choose another port (grocketd shares a port only among its own threads and generations)`
            : `cannot listen on ${e.url}: ${isUdp(e) ? "UDP" : "TCP"} port ${e.port}: ${code ?? describeError(err)}`,
        );
      }
    }
  } finally {
    for (const p of open) p.close();
  }
  return problems;
}
