// The ring mesh between I/O threads (pubsub/mesh.ts) on its own: records arrive in order, a full ring drops and
// counts instead of blocking the publisher, and what was taken before the ring filled is still delivered in order.
// Also UDP push (a datagram to the sender) and the pubsub counters in the real process's /status.
import { afterEach, describe, expect, test } from "bun:test";
import { Ring } from "../../src/ring/ring.ts";
import { Mesh } from "../../src/pubsub/mesh.ts";
import { PubSubHub, type Subscriber } from "../../src/pubsub/hub.ts";
import { PushBatch, type Batched } from "../../src/io/push-batch.ts";
import { createLogger } from "../../src/log/logger.ts";
import { S_PS_DROP_RING, S_PS_PUSHES } from "../../src/stats/stat-fields.ts";
import { FIXED_FIELDS } from "../../src/stats/stat-fields.ts";
import { startUdpServer, udpClient, type UdpServer } from "../udp/udp-harness.ts";
import { defineModule } from "../../src/index.ts";
import { startGrocketd, ROOT, type Running } from "../helpers/grocketd.ts";
import { connect } from "../helpers/tcp-client.ts";
import { resolve } from "node:path";
import { until } from "../helpers/until.ts";

const log = createLogger({ level: "silent", format: "text", where: "test" });
const dec = new TextDecoder();
let udp: UdpServer | undefined;
let running: Running | undefined;
const meshes: Mesh[] = [];
afterEach(async () => {
  udp?.stop();
  udp = undefined;
  await running?.stop("SIGKILL");
  running = undefined;
  for (const m of meshes.splice(0)) await m.stop();
});

describe("ring mesh between two I/O threads", () => {
  test("a full ring drops and counts; the publisher never blocks; what fit arrives in publish order", async () => {
    const a2b = Ring.create(4096).sab;
    const b2a = Ring.create(4096).sab;
    const statsA = new Float64Array(FIXED_FIELDS);
    const got: string[] = [];
    // Thread A only: B is not consuming yet, so its ring fills.
    const a = new Mesh({ out: [null, a2b], in: [null, b2a] }, () => statsA, { published() {}, sent() {} }, log);
    meshes.push(a);
    const payload = new Uint8Array(200).fill(120);
    let dropped = 0;
    for (let i = 0; i < 100; i++) {
      payload.set(new TextEncoder().encode(String(i).padStart(3, "0")), 0);
      dropped += a.publish("room", -1, payload);
    }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(100);
    expect(statsA[S_PS_DROP_RING]).toBe(dropped);
    await Bun.sleep(5); // the deferred publish of what was taken
    const b = new Mesh(
      { out: [b2a, null], in: [a2b, null] },
      () => new Float64Array(FIXED_FIELDS),
      {
        published(topic, bytes, except) {
          expect(topic).toBe("room");
          expect(except).toBe(-1);
          got.push(dec.decode(bytes.subarray(0, 3)));
        },
        sent() {},
      },
      log,
    );
    meshes.push(b);
    const taken = 100 - dropped;
    await until(() => got.length === taken, `${taken} records`);
    expect(got).toEqual(Array.from({ length: taken }, (_, i) => String(i).padStart(3, "0")));
    // A send between two threads keeps its 53-bit id intact (fresh rings: a stopped consumer's wait stays registered).
    const ids: number[] = [];
    const x2y = Ring.create(4096).sab;
    const y2x = Ring.create(4096).sab;
    const x = new Mesh({ out: [null, x2y], in: [null, y2x] }, () => statsA, { published() {}, sent() {} }, log);
    const y = new Mesh({ out: [y2x, null], in: [x2y, null] }, () => statsA, { published() {}, sent: (id) => ids.push(id) }, log);
    meshes.push(x, y);
    expect(x.sendTo(1, 2 ** 40 * 1024 + 1, new Uint8Array([1]))).toBe(true);
    await until(() => ids.length === 1, "the send");
    expect(ids[0]).toBe(2 ** 40 * 1024 + 1);
  });
  test("ids either side of 2^31 and 2^32 cross intact, as sends and as a publish's exception; the bytes are Buffer views like a local packet", async () => {
    const x2y = Ring.create(1 << 16).sab;
    const y2x = Ring.create(1 << 16).sab;
    const sent: number[] = [];
    const excepts: number[] = [];
    const kinds = new Set<string>();
    const x = new Mesh({ out: [null, x2y], in: [null, y2x] }, () => new Float64Array(FIXED_FIELDS), { published() {}, sent() {} }, log);
    const y = new Mesh(
      { out: [y2x, null], in: [x2y, null] },
      () => new Float64Array(FIXED_FIELDS),
      {
        published(_t, bytes, except) {
          excepts.push(except);
          kinds.add(bytes.constructor.name);
        },
        sent(id, bytes) {
          sent.push(id);
          kinds.add(bytes.constructor.name);
        },
      },
      log,
    );
    meshes.push(x, y);
    // mesh.ts reads a small id back as the low word alone and any other from both words.
    const edge = [1, 1025, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 43 * 1024 + 1023];
    for (const id of edge) {
      expect(x.sendTo(1, id, new Uint8Array([7]))).toBe(true);
      expect(x.publish("t", id, new Uint8Array([7]))).toBe(0);
    }
    x.flushNow();
    await until(() => sent.length === edge.length && excepts.length === edge.length, "every record");
    expect(sent).toEqual(edge);
    expect(excepts).toEqual(edge);
    // A local publish hands the hub a view of the thread's input Buffer (io/io-context.ts packetView): the ring's are
    // Buffers too, so the delivery loop sees one kind (docs/platform-notes.md, "One shape on the delivery path").
    expect([...kinds]).toEqual(["Buffer"]);
  });
  test("the receiving side's remembered topic: a change of topic is always seen (same length, long, multi-byte)", async () => {
    const a2b = Ring.create(1 << 16).sab;
    const b2a = Ring.create(1 << 16).sab;
    const stats = new Float64Array(FIXED_FIELDS);
    const long = "x".repeat(300);
    const topics = ["room", "room", "rood", "room", "rooms", "räum", "räum", "rüum", long, long, long.slice(0, 299) + "y", "", "room"];
    const a = new Mesh({ out: [null, a2b], in: [null, b2a] }, () => stats, { published() {}, sent() {} }, log);
    meshes.push(a);
    topics.forEach((t, i) => expect(a.publish(t, -1, new Uint8Array([i]))).toBe(0));
    const got: Array<[string, number]> = [];
    const b = new Mesh({ out: [b2a, null], in: [a2b, null] }, () => stats, { published: (t, bytes) => got.push([t, bytes[0]!]), sent() {} }, log);
    meshes.push(b);
    await until(() => got.length === topics.length, "every record");
    expect(got).toEqual(topics.map((t, i): [string, number] => [t, i]));
  });

  test("a turn's publishes are visible on the peer thread's ring before this thread writes its own subscribers", async () => {
    const a2b = Ring.create(4096).sab;
    const b2a = Ring.create(4096).sab;
    const stats = new Float64Array(FIXED_FIELDS);
    const batch = new PushBatch();
    const hub = new PubSubHub({ index: 0, stats, batch, events: 0 });
    const mesh = new Mesh({ out: [null, a2b], in: [null, b2a] }, () => stats, { published() {}, sent() {} }, log);
    meshes.push(mesh);
    hub.mesh = mesh;
    // Thread B's side of the ring, read without consuming: what B could see at the moment A writes locally.
    const peerView = Ring.attach(a2b);
    const writes: Array<{ text: string; peerHasIt: boolean }> = [];
    const sub: Subscriber & Batched = {
      id: 7,
      subs: null,
      batchTail: -1,
      batchBytes: 0,
      batchLimit: 1 << 20,
      runFrame: () => 0,
      push: (data) => batch.add(sub, data, 1 << 20),
      writeBatched: (buf, off, len) => writes.push({ text: dec.decode(buf.subarray(off, off + len)), peerHasIt: !peerView.isEmpty() }),
    };
    hub.register(sub);
    hub.subscribe(sub, "room");
    hub.publish("room", "one\n");
    hub.publish("room", "two\n");
    await until(() => writes.length === 1, "the local write-out");
    expect(writes).toEqual([{ text: "one\ntwo\n", peerHasIt: true }]);
    expect(peerView.depth()).toBe(2);
  });
});

describe("UDP push", () => {
  test("conn.send sends a datagram to the sender, from an async proc: before its reply when made before proc returned, after it when made while the reply is owed", async () => {
    udp = await startUdpServer(
      defineModule({
        name: "udp-push",
        version: "1.0.0",
        grocketd: "^0.1.0",
        async proc(p, conn) {
          conn.send("first");
          await Bun.sleep(5);
          conn.send("second");
          return p;
        },
      }),
    );
    const c = await udpClient(udp.port);
    c.send("ping");
    const got = (await c.waitFor(3)).map((d) => dec.decode(d));
    // "first" is sent before proc returned (nothing owed yet); "second" while the reply is owed, so it waits for it.
    expect(got).toEqual(["first", "ping", "second"]);
    expect(udp.io.stats[S_PS_PUSHES]).toBe(2);
  });
});

describe("/status", () => {
  test("reports pushes, publishes, deliveries, subscriptions and topics (per thread and summed)", async () => {
    running = await startGrocketd(["--module", resolve(ROOT, "modules/chat.ts"), "--listen", "tcp://127.0.0.1:0", "--threads", "2"], {
      env: { GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0" },
    });
    const status = (await running.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const cs = await Promise.all([0, 1, 2].map(() => connect(running!.ports[0]!)));
    const seen = async (c: (typeof cs)[number], what: string, times: number) => {
      const end = Date.now() + 5000;
      while (dec.decode(c.received()).split(what).length - 1 < times && Date.now() < end) await Bun.sleep(5);
    };
    // One at a time, each join notice seen by the earlier members, so the counts below are exact.
    for (let i = 0; i < cs.length; i++) {
      cs[i]!.write("JOIN room\n");
      await cs[i]!.waitBytes("OK joined room\n".length);
      for (let j = 0; j < i; j++) await seen(cs[j]!, " joined room\n", 1 + (i - j));
    }
    cs[0]!.write("SAY hi\n");
    for (const c of cs.slice(1)) {
      const end = Date.now() + 5000;
      while (!dec.decode(c.received()).includes(": hi\n") && Date.now() < end) await Bun.sleep(5);
    }
    let s: any;
    for (const end = Date.now() + 5000; Date.now() < end; await Bun.sleep(20)) {
      s = await (await fetch(`${status}/status`)).json();
      if (s.pubsub.deliveries >= 2 + 3 && s.pubsub.subscriptions === 3) break;
    }
    // 3 joins and one SAY; every delivery counted is a line a client received (a join can also reach a member of the
    // other thread that subscribed while the notice was crossing, so the exact number may vary by one or two).
    const lines = cs.map((c) => dec.decode(c.received()).split("\n").filter((l) => l.startsWith("* ") || l.startsWith("room ")).length);
    expect(s.pubsub.publishes).toBe(4);
    expect(s.pubsub.deliveries).toBe(lines.reduce((a, b) => a + b, 0));
    expect(s.pubsub.deliveries).toBeGreaterThanOrEqual(5);
    expect(s.pubsub.subscriptions).toBe(3);
    expect(s.pubsub.topics).toBeGreaterThanOrEqual(1);
    expect(s.pubsub.dropped).toEqual({ slow_consumer: 0, ring_full: 0, broker_down: 0 });
    expect(s.per_thread.reduce((n: number, t: any) => n + (t.pubsub?.subscriptions ?? 0), 0)).toBe(3);
    const metrics = await (await fetch(`${status}/metrics`)).text();
    expect(metrics).toContain(`grocketd_server_pubsub_deliveries_total ${s.pubsub.deliveries}\n`);
    expect(metrics).toMatch(/grocketd_server_pubsub_dropped_total\{reason="slow_consumer"\} 0/);
    for (const c of cs) c.end();
  });
});
