// Topics across two grocketd instances through a real Redis started here on a free loopback port (skipped when
// redis-server is not installed): modules/chat.ts unchanged, a room shared by a client of each instance; Redis
// killed: local delivery goes on and the publishes made meanwhile are counted as broker_down; Redis restarted on the
// same port: the instances reconnect, subscribe again, and the room spans both again.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { startGrocketd, ROOT, type Running } from "../helpers/grocketd.ts";
import { connect, type TestClient } from "../helpers/tcp-client.ts";

const CHAT = resolve(ROOT, "modules/chat.ts");
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const REDIS = Bun.which("redis-server");
let instances: Running[] = [];
let redis: Subprocess | undefined;
let clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) c.end();
  clients = [];
  for (const r of instances) await r.stop("SIGKILL");
  instances = [];
  redis?.kill("SIGKILL");
  await redis?.exited;
  redis = undefined;
});

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

async function startRedis(port: number): Promise<Subprocess> {
  const p = Bun.spawn([REDIS!, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdout: "pipe", stderr: "pipe" });
  // Ready once it accepts a connection.
  for (let i = 0; i < 200; i++) {
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return p;
    } catch {
      await Bun.sleep(25);
    }
  }
  p.kill("SIGKILL");
  throw new Error("redis-server did not start");
}

async function line(c: TestClient, re: RegExp, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(text(c.received()))) {
    if (Date.now() > end || c.isClosed()) throw new Error(`no ${re} in ${JSON.stringify(text(c.received()))}`);
    await Bun.sleep(10);
  }
}

/**
 * Waits until Redis counts `n` subscriptions to the room's channel (src/pubsub/redis-bridge.ts: one per process): a
 * SUBSCRIBE reaches Redis a little after the JOIN that caused it was answered, and a publish before it is not
 * delivered to that instance (Redis pub/sub keeps nothing), which on a loaded machine lost the test's messages.
 */
async function subscribed(rport: number, room: string, n: number, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  let got = "";
  for (;;) {
    const p = Bun.spawn(["redis-cli", "-p", String(rport), "PUBSUB", "NUMSUB", `grocketd:${room}`], { stdout: "pipe", stderr: "ignore" });
    got = (await new Response(p.stdout).text()).trim();
    if (Number(got.split("\n")[1]) === n) return;
    if (Date.now() > end) throw new Error(`Redis counts no ${n} subscriptions to grocketd:${room}: ${JSON.stringify(got)}`);
    await Bun.sleep(20);
  }
}

async function client(port: number, room: string): Promise<TestClient> {
  const c = await connect(port);
  clients.push(c);
  c.write(`JOIN ${room}\n`);
  await line(c, /OK joined/);
  return c;
}

describe.skipIf(REDIS === null)("across instances through Redis", () => {
  test("a room spans two instances; survives Redis going away (local delivery, counted) and coming back", async () => {
    const rport = freePort();
    redis = await startRedis(rport);
    const env = { GROCKETD_PUBSUB_REDIS: `redis://127.0.0.1:${rport}`, GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" };
    const args = ["--module", CHAT, "--listen", "tcp://127.0.0.1:0", "--threads", "1"];
    for (let i = 0; i < 2; i++) instances.push(await startGrocketd(args, { env }));
    await Promise.all(instances.map((r) => r.waitFor(/pubsub: connected to redis/)));
    const [one, two] = instances as [Running, Running];
    const a = await client(one.ports[0]!, "r");
    await subscribed(rport, "r", 1); // instance one hears the room before b's join is published to it
    const b = await client(two.ports[0]!, "r");
    await subscribed(rport, "r", 2); // and instance two before a's SAY
    const a2 = await client(one.ports[0]!, "r");
    await line(a, /\* user\d+ joined r\n[^]*\* user\d+ joined r\n/); // b's join crossed Redis, a2's was local
    a.write("SAY one\n");
    await line(b, /r user\d+: one\n/);
    await line(a2, /r user\d+: one\n/);
    expect(text(a.received())).not.toContain(": one\n"); // exceptSelf, and Redis's echo to its publisher is skipped
    expect(text(a2.received()).split(": one\n").length - 1).toBe(1); // delivered once, not once more from Redis

    redis.kill("SIGKILL");
    await redis.exited;
    await one.waitFor(/pubsub: redis connection lost; local delivery goes on/);
    a.write("SAY two\n");
    await line(a2, /r user\d+: two\n/); // local delivery unaffected
    const status = (await one.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    let s: { pubsub: { dropped: { broker_down: number } } } | undefined;
    for (const until = Date.now() + 10_000; Date.now() < until; await Bun.sleep(50)) {
      s = (await (await fetch(`${status}/status`)).json()) as typeof s;
      if (s!.pubsub.dropped.broker_down >= 1) break;
    }
    expect(s!.pubsub.dropped.broker_down).toBeGreaterThanOrEqual(1);
    expect(text(b.received())).not.toContain(": two\n");

    redis = await startRedis(rport);
    const end = Date.now() + 20_000;
    // Reconnected (back-off at most 5 s, later on a loaded machine) and subscribed again: a new message crosses.
    for (let i = 0; !text(b.received()).includes(": three\n"); i++) {
      if (Date.now() > end) throw new Error(`not reconnected: ${one.output().slice(-2000)}`);
      a.write(`SAY three\n`);
      await Bun.sleep(200);
    }
    expect(one.output()).toMatch(/pubsub: connected to redis[^]*pubsub: connected to redis/);
  }, 60_000);

  test("a publish Redis refuses once it was handed over is counted as broker_down, on the process's main thread", async () => {
    const rport = freePort();
    redis = await startRedis(rport);
    const one = await startGrocketd(["--module", CHAT, "--listen", "tcp://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_PUBSUB_REDIS: `redis://127.0.0.1:${rport}`, GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" },
    });
    instances.push(one);
    await one.waitFor(/pubsub: connected to redis/);
    const status = (await one.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const a = await client(one.ports[0]!, "r");
    const a2 = await client(one.ports[0]!, "r");
    // Redis stays up, but PUBLISH is no longer allowed: each publish the bridge hands it fails with NOPERM.
    const acl = Bun.spawnSync(["redis-cli", "-p", String(rport), "ACL", "SETUSER", "default", "-publish"]);
    expect(new TextDecoder().decode(acl.stdout)).toContain("OK");
    for (let i = 0; i < 3; i++) a.write(`SAY refused${i}\n`);
    await line(a2, /r user\d+: refused2\n/); // local delivery unaffected
    let s: any;
    for (const until = Date.now() + 10_000; Date.now() < until; await Bun.sleep(50)) {
      s = await (await fetch(`${status}/status`)).json();
      if (s.pubsub.dropped.broker_down >= 3) break;
    }
    const main = s.per_thread.find((t: any) => t.role === "main");
    expect(main.pubsub.dropped.broker_down).toBe(3);
    expect(s.pubsub.dropped.broker_down).toBe(3); // the I/O thread saw Redis up: none counted there
    const metrics = await (await fetch(`${status}/metrics`)).text();
    expect(metrics).toContain('grocketd_pubsub_dropped_total{thread="main",reason="broker_down"} 3\n');
    expect(metrics).toContain('grocketd_server_pubsub_dropped_total{reason="broker_down"} 3\n');
  }, 30_000);
});
