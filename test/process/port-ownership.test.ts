// One port, one server: a port another process holds — even one that listens with SO_REUSEPORT itself, which the
// kernel would otherwise let grocketd's threads join — is refused at start-up with a message naming it, exit 1;
// a second grocketd on a served port likewise, and the first one keeps serving. (Reload on shared ports: reload.test.ts.)
import { afterEach, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:net";
import { runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect } from "../helpers/tcp-client.ts";
import { kisses } from "../helpers/kiss.ts";

const cleanup: Array<() => void> = [];
let running: Running | undefined;
afterEach(async () => {
  for (const c of cleanup.splice(0)) c();
  await running?.stop("SIGKILL");
  running = undefined;
});

/** A TCP port that is free now (bound to 0 and closed again). */
function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

describe("port ownership", () => {
  test("a TCP port held by a foreign SO_REUSEPORT listener: exit 1 naming the port, nothing served", async () => {
    // reusePort is honoured by Bun.listen but missing from bun-types (src/io/listen-stream.ts).
    const opts = { hostname: "127.0.0.1", port: 0, reusePort: true, socket: { data() {} } };
    const foreign = Bun.listen(opts);
    cleanup.push(() => foreign.stop(true));
    const r = await runGrocketd(["--listen", `tcp://127.0.0.1:${foreign.port}`, "--threads", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot listen on tcp://127.0.0.1:${foreign.port}: TCP port ${foreign.port} is already in use by another process (EADDRINUSE)`);
    expect(r.stdout + r.stderr).not.toContain("listening on");
  });

  test("an HTTP entry on a port a node:net server holds (wildcard entry, loopback holder)", async () => {
    const server: Server = createServer();
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    cleanup.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const r = await runGrocketd(["--listen", `http://0.0.0.0:${port}`, "--threads", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`TCP port ${port} is already in use by another process (EADDRINUSE)`);
  });

  test("a UDP port held by a foreign SO_REUSEPORT socket", async () => {
    // flags 4 | 32: what Bun's node:dgram passes for reusePort (src/io/udp/udp-transport.ts).
    const opts = { hostname: "127.0.0.1", port: 0, flags: 4 | 32 };
    const foreign = await Bun.udpSocket(opts);
    cleanup.push(() => foreign.close());
    const r = await runGrocketd(["--listen", `udp://127.0.0.1:${foreign.port}`, "--threads", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot listen on udp://127.0.0.1:${foreign.port}: UDP port ${foreign.port} is already in use by another process (EADDRINUSE)`);
  });

  test("a second grocketd on a served port is refused; the first keeps serving all its connections", async () => {
    const port = freePort();
    running = await startGrocketd(["--listen", `tcp://127.0.0.1:${port}`, "--threads", "2"]);
    const second = await runGrocketd(["--listen", `tcp://127.0.0.1:${port}`, "--threads", "1"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`TCP port ${port} is already in use by another process (EADDRINUSE)`);
    for (let i = 0; i < 6; i++) {
      const c = await connect(port);
      const k = kisses(1 + i, 1);
      c.write(k);
      expect(await c.waitBytes(k.length)).toEqual(k);
      c.end();
    }
  });

  test("two entries of one configuration on one TCP port are refused", async () => {
    const port = freePort();
    const r = await runGrocketd(["--listen", `tcp://127.0.0.1:${port}`, "--listen", `http://127.0.0.1:${port}`, "--threads", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot listen on http://127.0.0.1:${port}: port ${port} is also used by tcp://127.0.0.1:${port} in this configuration`);
  });
});
