/**
 * Platform probe (docs/platform-notes.md "SO_REUSEPORT"): can two Workers of one process bind the same port?
 * Each Worker opens a TCP listener (Bun.listen) or a UDP socket (Bun.udpSocket) on 127.0.0.1:PORT with the option
 * named on the command line; the main thread then connects (or sends datagrams) from 40 source ports and counts
 * which Worker answered.
 *
 *   bun bench/platform/reuse-port.ts tcp reusePort     # Bun.listen({ reusePort: true })
 *   bun bench/platform/reuse-port.ts tcp none
 *   bun bench/platform/reuse-port.ts udp reusePort     # Bun.udpSocket({ reusePort: true }): ignored
 *   bun bench/platform/reuse-port.ts udp flags         # Bun.udpSocket({ flags: 4 | 32 }), what src/io/udp/udp-transport.ts uses
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";

type Kind = "tcp" | "udp";
interface Job { kind: Kind; option: string; port: number; id: string }

if (!isMainThread) {
  const { kind, option, port, id } = workerData as Job;
  try {
    if (kind === "tcp") {
      const opts: Record<string, unknown> = {
        hostname: "127.0.0.1",
        port,
        socket: { data(s: { write(x: string): void }) { s.write(id); } },
      };
      if (option === "reusePort") opts.reusePort = true;
      Bun.listen(opts as unknown as Parameters<typeof Bun.listen>[0]);
    } else {
      const opts: Record<string, unknown> = {
        hostname: "127.0.0.1",
        port,
        socket: { data(s: { send(d: string, p: number, a: string): void }, _d: unknown, p: number, a: string) { s.send(id, p, a); } },
      };
      if (option === "reusePort") opts.reusePort = true;
      if (option === "flags") opts.flags = 4 | 32; // uSockets LISTEN_REUSE_PORT | LISTEN_DISALLOW_REUSE_PORT_FAILURE
      await Bun.udpSocket(opts as unknown as Parameters<typeof Bun.udpSocket>[0]);
    }
    parentPort!.postMessage(`${id} bound`);
  } catch (e) {
    parentPort!.postMessage(`${id} failed: ${(e as Error).message}`);
  }
} else {
  const kind = (process.argv[2] ?? "tcp") as Kind;
  const option = process.argv[3] ?? "reusePort";
  // A free port: bind 0, read it, close.
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);

  const workers: Worker[] = [];
  for (const id of ["w0", "w1"]) {
    const w = new Worker(new URL(import.meta.url).href, { workerData: { kind, option, port, id } } as WorkerOptions);
    workers.push(w);
    console.log(await new Promise<string>((r) => w.addEventListener("message", (e) => r(String(e.data)), { once: true })));
  }

  const counts: Record<string, number> = {};
  for (let i = 0; i < 40; i++) {
    const answer = Promise.withResolvers<string>();
    if (kind === "tcp") {
      const c = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data(_s, d) { answer.resolve(d.toString()); } } });
      c.write("?");
      counts[await answer.promise] = (counts[await answer.promise] ?? 0) + 1;
      c.end();
    } else {
      const s = await Bun.udpSocket({ socket: { data(_s, d) { answer.resolve(d.toString()); } } });
      s.send("?", port, "127.0.0.1");
      const who = await Promise.race([answer.promise, Bun.sleep(500).then(() => "no answer")]);
      counts[who] = (counts[who] ?? 0) + 1;
      s.close();
    }
  }
  console.log(`${kind} ${option}: answers from 40 source ports`, JSON.stringify(counts));
  for (const w of workers) w.terminate();
}
