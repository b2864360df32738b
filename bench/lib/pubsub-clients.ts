// The clients of `bun run bench:pubsub` (bench/pubsub-fanout.ts): N subscribers and one publisher against a server
// already started, over TCP (grocketd's bench/modules/fanout.ts line protocol) or WebSocket (the same module on a
// ws:// listener, or the Bun.serve / uWebSockets anchors that subscribe every socket on open). Every delivery is
// checked: each subscriber must get every message exactly once, in publish order, whole. CPU is the server's whole
// process tree (a server.processes master and its children), read around the publishing only.
// The publisher is one raw socket (Bun.connect; on WebSocket the upgrade and the masked frames are made here), so
// what one write carries is the bench's choice and the same for every server: one message per write by default, or
// with `batch` K exactly K messages per write, the next write only once all K are delivered to every subscriber.

import type { ChildServer } from "./child-server.ts";
import { cpuSecondsBetween, readCpuTicks, readOtherThreadsByName, readTreeCpuTicks, untilQuiet, type CpuTicks } from "./proc-stat.ts";

export interface FanoutLoad {
  subscribers: number;
  messages: number;
  /** Bytes per message (TCP: the newline included). */
  size: number;
  /** Messages in flight per subscriber (one message per write); ignored when `batch` is set. */
  window: number;
  /** Paced: `batch` messages in one write, the next write once every subscriber has all of them, so each server
   * reads the same K publishes per turn (how many a turn batches sets the writes per delivery, hence its CPU). */
  batch?: number;
  /** The bound on connecting, subscribing and on the whole publishing run. */
  timeoutMs: number;
  /**
   * grocketd over several threads or processes: a publisher on another "thread:pid" than this one, if one of 16
   * connections lands there (the kernel picks the thread). The warm-up runs alternate, so that every thread's VM has
   * compiled the publisher's path before the measured run, wherever its publisher lands.
   */
  publisherNotOn?: string;
  /** Called once every subscriber is connected, right before the publishing starts and after it ends
   * (bench/pubsub-syscalls.ts attaches its counters there). */
  around?: { before(server: ChildServer): Promise<void>; after(server: ChildServer): Promise<void> };
}

export interface FanoutRun {
  deliveries: number;
  seconds: number;
  cpuSeconds: number;
  /** The kernel's part of cpuSeconds. */
  systemSeconds: number;
  /** grocketd: subscribers per "thread:pid", and the publisher's. */
  perThread?: Map<string, number>;
  publisher?: string;
  /** grocketd: the share of subscribers on another thread (or process) than the publisher's. */
  remoteShare?: number;
  /** grocketd: CPU seconds of each I/O thread (by "thread:pid") during the publishing, from /proc/TID/stat. */
  threadCpuSeconds?: Map<string, number>;
  /**
   * grocketd: CPU seconds of the process's other threads during the publishing, by thread name (a thread started
   * meanwhile counts from zero, one that ended is missing).
   */
  otherCpuSeconds?: Map<string, number>;
}

/** Each I/O thread's OS thread id (by "thread:pid"), from the SUB answers; 0 where the module could not tell. */
type Tasks = Map<string, number>;

async function readTasks(tasks: Tasks): Promise<Map<string, CpuTicks>> {
  const out = new Map<string, CpuTicks>();
  // t is "thread:pid"
  for (const [t, tid] of tasks) if (tid > 0) out.set(t, await readCpuTicks(Number(t.split(":")[1]), tid));
  return out;
}

/** What every subscriber checks: message k carries seq k at `at`, has `size` bytes, and comes once, in order. */
class Check {
  next = 0;
  problem: string | null = null;
  constructor(
    private readonly at: number,
    private readonly size: number,
  ) {}
  seen(m: string): void {
    const seq = Number(m.slice(this.at, this.at + 9));
    if (this.problem === null && (seq !== this.next || m.length !== this.size)) {
      this.problem = m.length !== this.size ? `a message of ${m.length} bytes, want ${this.size}` : `expected message ${this.next}, got ${seq}`;
    }
    this.next = seq + 1;
  }
}

/** Message `seq`: prefix, seq in 9 digits, padding to `size` (the last byte a newline for line protocols). */
export function fanoutMessage(prefix: string, seq: number, size: number, newline: boolean): string {
  const head = prefix + String(seq).padStart(9, "0");
  return head + "x".repeat(size - head.length - (newline ? 1 : 0)) + (newline ? "\n" : "");
}

/** `p`, or a rejection naming `what` after `ms`; the timer is always cleared. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens `n` clients, 100 at a time (a burst of thousands of connects overflows the accept backlog). */
async function inBatches(n: number, open: () => Promise<void>): Promise<void> {
  for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: Math.min(100, n - i) }, open));
}

/** The deliveries seen so far; each one lets the publisher send what its window allows (no polling loop: on a
 * 2-core machine a spinning client would take the core a 2-thread server needs). */
class Deliveries {
  n = 0;
  pump: () => void = () => {};
  add(k = 1): void {
    this.n += k;
    this.pump();
  }
}

/** Publishes `messages` with at most `window` outstanding per subscriber, or paced by `batch`; returns when every
 * one is delivered. `send(seq, n)` writes messages seq … seq + n − 1 at once. */
async function drive(load: FanoutLoad, checks: Check[], send: (seq: number, n: number) => void, d: Deliveries, server: ChildServer, tasks?: Tasks): Promise<FanoutRun> {
  const total = load.messages * checks.length;
  const finished = Promise.withResolvers<void>();
  let sent = 0;
  await load.around?.before(server);
  // Quiet first: what the server still spends once every subscriber is connected is the JIT compiling the connect
  // path and the GC (docs/platform-notes.md, "Each Worker's VM tiers up on its own"); every server gets the same wait.
  await untilQuiet(server.pid);
  const th0 = tasks ? await readTasks(tasks) : null;
  const ioTids = new Set(tasks ? tasks.values() : []);
  const o0 = tasks ? await readOtherThreadsByName(server.pid, ioTids) : null;
  const t0 = await readTreeCpuTicks(server.pid);
  const start = performance.now();
  const batch = load.batch ?? 0;
  d.pump = () => {
    if (batch > 0) {
      if (sent < load.messages && d.n >= sent * checks.length) {
        const n = Math.min(batch, load.messages - sent);
        send(sent, n);
        sent += n;
      }
    } else while (sent < load.messages && sent * checks.length - d.n < load.window * checks.length) send(sent++, 1);
    if (d.n >= total) finished.resolve();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    d.pump();
    await Promise.race([
      finished.promise,
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${server.name}: ${d.n} of ${total} deliveries after ${load.timeoutMs} ms`)), load.timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
    d.pump = () => {};
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuSecondsBetween(t0, await readTreeCpuTicks(server.pid));
  await load.around?.after(server);
  let threadCpuSeconds: Map<string, number> | undefined;
  let otherCpuSeconds: Map<string, number> | undefined;
  if (tasks && th0 && o0) {
    const th1 = await readTasks(tasks);
    threadCpuSeconds = new Map([...th0].map(([t, a]) => [t, cpuSecondsBetween(a, th1.get(t)!).total]));
    const o1 = await readOtherThreadsByName(server.pid, ioTids);
    otherCpuSeconds = new Map([...o1].map(([n, b]) => [n, cpuSecondsBetween(o0.get(n) ?? { user: 0, system: 0 }, b).total]));
  }
  const bad = checks.filter((c) => c.problem !== null || c.next !== load.messages);
  if (bad.length > 0) throw new Error(`${server.name}: ${bad.length} subscribers got a wrong stream, e.g. ${bad[0]!.problem ?? `${bad[0]!.next} messages`}`);
  return { deliveries: total, seconds, cpuSeconds: cpu.total, systemSeconds: cpu.system, ...(threadCpuSeconds ? { threadCpuSeconds } : {}), ...(otherCpuSeconds ? { otherCpuSeconds } : {}) };
}

function withShare(r: FanoutRun, perThread: Map<string, number>, publisher: string, subscribers: number): FanoutRun {
  return { ...r, perThread, publisher, remoteShare: (subscribers - (perThread.get(publisher) ?? 0)) / subscribers };
}

/** The publisher's raw socket: `publish(seq, n)` writes messages seq … seq + n − 1 in one write (the rest on drain). */
interface Publisher {
  publish(seq: number, n: number): void;
  /** The one-line answer to `ask` (grocketd's "thread:pid" of the publisher), "" without one. */
  answer: string;
  end(): void;
}

/** A client-to-server WebSocket text frame (RFC 6455 section 5.2): FIN, opcode 1, masked with a fixed key (the mask
 * must be present; its value does not matter to a server). */
function maskedFrame(text: string): Buffer {
  const payload = Buffer.from(text, "latin1");
  if (payload.length > 0xffff) throw new Error(`a ${payload.length}-byte message: the bench frames at most 65535`);
  const head = payload.length < 126 ? 2 : 4;
  const out = Buffer.alloc(head + 4 + payload.length);
  out[0] = 0x81;
  if (head === 2) out[1] = 0x80 | payload.length;
  else (out[1] = 0x80 | 126), out.writeUInt16BE(payload.length, 2);
  const mask = [0x37, 0xfa, 0x21, 0x3d];
  for (let i = 0; i < 4; i++) out[head + i] = mask[i]!;
  for (let i = 0; i < payload.length; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/** Opens the publisher (the WebSocket upgrade made by hand when `ws`), sends `ask` and waits for its one-line answer
 * (a text frame on WebSocket); afterwards whatever the server sends it (uWebSockets: its own publishes) is dropped. */
async function openPublisher(server: ChildServer, load: FanoutLoad, how: { ws: boolean; prefix: string; newline: boolean; ask: string | null }): Promise<Publisher> {
  const what = `${server.name}: publisher`;
  const upgraded = Promise.withResolvers<void>();
  const answered = Promise.withResolvers<string>();
  let stage = how.ws ? "upgrade" : "answer";
  let got = Buffer.alloc(0);
  let pending: Buffer | null = null;
  const fail = (e: Error) => (upgraded.reject(e), answered.reject(e));
  upgraded.promise.catch(() => {});
  answered.promise.catch(() => {});
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.port,
    socket: {
      data(_s, d) {
        if (stage === "open") return;
        got = Buffer.concat([got, d]);
        if (stage === "upgrade") {
          const end = got.indexOf("\r\n\r\n");
          if (end < 0) return;
          const status = got.subarray(0, got.indexOf("\r\n")).toString("latin1");
          if (!/^HTTP\/1\.1 101\b/.test(status)) return fail(new Error(`${what}: upgrade answered ${status}`));
          got = got.subarray(end + 4);
          stage = how.ask === null ? "open" : "answer";
          upgraded.resolve();
          if (stage === "open") return;
        }
        // The answer: a line on TCP; on WebSocket one unmasked text frame of under 126 bytes.
        const len = got.length >= 2 ? got[1]! & 0x7f : 0;
        const nl = got.indexOf(10);
        const text = how.ws ? (got.length >= 2 && got.length >= 2 + len ? got.subarray(2, 2 + len) : null) : nl >= 0 ? got.subarray(0, nl) : null;
        if (text === null) return;
        stage = "open";
        answered.resolve(text.toString("latin1").trim());
      },
      drain(s) {
        if (pending === null) return;
        const n = s.write(pending);
        pending = n < pending.length ? pending.subarray(Math.max(0, n)) : null;
      },
      close: () => fail(new Error(`${what}: closed`)),
      error() {},
    },
  });
  sock.setNoDelay(true);
  const write = (b: Buffer) => {
    if (pending !== null) return void (pending = Buffer.concat([pending, b]));
    const n = sock.write(b);
    if (n < b.length) pending = b.subarray(Math.max(0, n));
  };
  if (how.ws) {
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    write(Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    await within(upgraded.promise, load.timeoutMs, `${what}: upgrade`);
  }
  let answer = "";
  if (how.ask !== null) {
    write(how.ws ? maskedFrame(how.ask) : Buffer.from(how.ask));
    answer = await within(answered.promise, load.timeoutMs, `${what}: ${how.ask.trim()}`);
  }
  const message = (seq: number) => fanoutMessage(how.prefix, seq, load.size, how.newline);
  return {
    answer,
    publish(seq, n) {
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) parts.push(how.ws ? maskedFrame(message(seq + i)) : Buffer.from(message(seq + i), "latin1"));
      write(n === 1 ? parts[0]! : Buffer.concat(parts));
    },
    end: () => sock.end(),
  };
}

/** openPublisher, again (up to 16 connections) while it lands on `load.publisherNotOn`. */
async function placedPublisher(server: ChildServer, load: FanoutLoad, how: { ws: boolean; prefix: string; newline: boolean; ask: string }): Promise<Publisher> {
  for (let tries = 1; ; tries++) {
    const pub = await openPublisher(server, load, how);
    if (load.publisherNotOn === undefined || pub.answer !== load.publisherNotOn || tries >= 16) return pub;
    pub.end();
  }
}

/** grocketd over TCP: `SUB\n` answers `OK thread:pid\n`, then SIZE-byte lines; the publisher asks `TID\n` first. */
export async function fanoutGrocketdTcp(server: ChildServer, load: FanoutLoad): Promise<FanoutRun> {
  const socks: Array<{ end(): void }> = [];
  try {
    const delivered = new Deliveries();
    const checks: Check[] = [];
    const perThread = new Map<string, number>();
    const tasks: Tasks = new Map();
    await inBatches(load.subscribers, async () => {
      const c = new Check(1, load.size);
      checks.push(c);
      const ok = Promise.withResolvers<void>();
      let carry = "";
      let subscribed = false;
      const s = await Bun.connect({
        hostname: "127.0.0.1",
        port: server.port,
        socket: {
          data(_s, d) {
            let text = carry + d.toString("latin1");
            if (!subscribed) {
              const nl = text.indexOf("\n");
              if (nl < 0) return void (carry = text);
              const [t = "?", task = "0"] = text.slice(3, nl).split(" ");
              perThread.set(t, (perThread.get(t) ?? 0) + 1);
              tasks.set(t, Number(task) || 0);
              subscribed = true;
              ok.resolve();
              text = text.slice(nl + 1);
            }
            let off = 0;
            for (; off + load.size <= text.length; off += load.size) c.seen(text.slice(off, off + load.size));
            carry = text.slice(off);
            if (off > 0) delivered.add(off / load.size);
          },
          error() {},
        },
      });
      socks.push(s);
      s.write("SUB\n");
      await within(ok.promise, load.timeoutMs, `${server.name}: SUB`);
    });
    const pub = await placedPublisher(server, load, { ws: false, prefix: "m", newline: true, ask: "TID\n" });
    socks.push(pub);
    const r = await drive(load, checks, pub.publish, delivered, server, tasks);
    return withShare(r, perThread, pub.answer, load.subscribers);
  } finally {
    for (const s of socks) s.end();
  }
}

/** A WebSocket to `url` once open; text of every message (binary read as latin1) goes to `onText`. */
function openWs(url: string, onText: (m: string) => void, sockets: WebSocket[], timeoutMs: number, name: string): Promise<WebSocket> {
  const opened = new Promise<WebSocket>((res, rej) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    ws.onopen = () => res(ws);
    ws.onerror = () => rej(new Error(`${name}: a WebSocket did not open`));
    ws.onmessage = (ev) => onText(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data as ArrayBuffer).toString("latin1"));
  });
  return within(opened, timeoutMs, `${name}: WebSocket open`);
}

/** grocketd over WebSocket: the same module and lines as TCP, one line per message (the reply of SUB included). */
export async function fanoutGrocketdWs(server: ChildServer, load: FanoutLoad): Promise<FanoutRun> {
  const sockets: WebSocket[] = [];
  const url = `ws://127.0.0.1:${server.port}/`;
  try {
    const delivered = new Deliveries();
    const checks: Check[] = [];
    const perThread = new Map<string, number>();
    const tasks: Tasks = new Map();
    await inBatches(load.subscribers, async () => {
      const c = new Check(1, load.size);
      checks.push(c);
      const ok = Promise.withResolvers<void>();
      let subscribed = false;
      const ws = await openWs(url, (m) => {
        if (subscribed) {
          c.seen(m);
          delivered.add();
          return;
        }
        const [t = "?", task = "0"] = m.startsWith("OK ") ? m.slice(3).trim().split(" ") : [];
        perThread.set(t, (perThread.get(t) ?? 0) + 1);
        tasks.set(t, Number(task) || 0);
        subscribed = true;
        ok.resolve();
      }, sockets, load.timeoutMs, server.name);
      ws.send("SUB\n");
      await within(ok.promise, load.timeoutMs, `${server.name}: SUB`);
    });
    const pub = await placedPublisher(server, load, { ws: true, prefix: "m", newline: true, ask: "TID\n" });
    try {
      const r = await drive(load, checks, pub.publish, delivered, server, tasks);
      return withShare(r, perThread, pub.answer, load.subscribers);
    } finally {
      pub.end();
    }
  } finally {
    for (const ws of sockets) ws.close();
  }
}

/**
 * An anchor that subscribes every socket on open and publishes each text message (Bun.serve: everyone but the
 * sender; the uWebSockets anchor: messages starting "pub ", the sender included, whose copy is not counted).
 */
export async function fanoutAnchorWs(server: ChildServer, load: FanoutLoad, prefix: string): Promise<FanoutRun> {
  const sockets: WebSocket[] = [];
  const url = `ws://127.0.0.1:${server.port}/`;
  try {
    const delivered = new Deliveries();
    const checks: Check[] = [];
    await inBatches(load.subscribers, async () => {
      const c = new Check(prefix.length, load.size);
      checks.push(c);
      await openWs(url, (m) => {
        c.seen(m);
        delivered.add();
      }, sockets, load.timeoutMs, server.name);
    });
    await Bun.sleep(100); // the subscriptions are made server side on open
    const pub = await openPublisher(server, load, { ws: true, prefix, newline: false, ask: null });
    try {
      return await drive(load, checks, pub.publish, delivered, server);
    } finally {
      pub.end();
    }
  } finally {
    for (const ws of sockets) ws.close();
  }
}
