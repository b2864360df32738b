// The clients of `bun run bench:pubsub` (bench/pubsub-fanout.ts): N subscribers and one publisher against a server
// already started, over TCP (grocketd's bench/modules/fanout.ts line protocol) or WebSocket (the same module on a
// ws:// listener, or the Bun.serve / uWebSockets anchors that subscribe every socket on open). Every delivery is
// checked: each subscriber must get every message exactly once, in publish order, whole. CPU is the server's whole
// process tree (a server.processes master and its children), read around the publishing only.

import type { ChildServer } from "./child-server.ts";
import { cpuSecondsBetween, readCpuTicks, readTreeCpuTicks, type CpuTicks } from "./proc-stat.ts";

export interface FanoutLoad {
  subscribers: number;
  messages: number;
  /** Bytes per message (TCP: the newline included). */
  size: number;
  /** Messages in flight per subscriber. */
  window: number;
  /** The bound on connecting, subscribing and on the whole publishing run. */
  timeoutMs: number;
  /** Called once every subscriber is connected, right before the publishing starts and after it ends
   * (bench/pubsub-syscalls.ts attaches its counters there). */
  around?: { before(server: ChildServer): Promise<void>; after(server: ChildServer): Promise<void> };
}

export interface FanoutRun {
  deliveries: number;
  seconds: number;
  cpuSeconds: number;
  /** grocketd: subscribers per "thread:pid", and the publisher's. */
  perThread?: Map<string, number>;
  publisher?: string;
  /** grocketd: the share of subscribers on another thread (or process) than the publisher's. */
  remoteShare?: number;
  /** grocketd: CPU seconds of each I/O thread (by "thread:pid") during the publishing, from /proc/TID/stat. */
  threadCpuSeconds?: Map<string, number>;
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

/** Publishes `messages` with at most `window` outstanding per subscriber; returns when every one is delivered. */
async function drive(load: FanoutLoad, checks: Check[], send: (seq: number) => void, d: Deliveries, server: ChildServer, tasks?: Tasks): Promise<FanoutRun> {
  const total = load.messages * checks.length;
  const finished = Promise.withResolvers<void>();
  let sent = 0;
  await load.around?.before(server);
  const th0 = tasks ? await readTasks(tasks) : null;
  const t0 = await readTreeCpuTicks(server.pid);
  const start = performance.now();
  d.pump = () => {
    while (sent < load.messages && sent * checks.length - d.n < load.window * checks.length) send(sent++);
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
  const cpu = cpuSecondsBetween(t0, await readTreeCpuTicks(server.pid)).total;
  await load.around?.after(server);
  let threadCpuSeconds: Map<string, number> | undefined;
  if (tasks && th0) {
    const th1 = await readTasks(tasks);
    threadCpuSeconds = new Map([...th0].map(([t, a]) => [t, cpuSecondsBetween(a, th1.get(t)!).total]));
  }
  const bad = checks.filter((c) => c.problem !== null || c.next !== load.messages);
  if (bad.length > 0) throw new Error(`${server.name}: ${bad.length} subscribers got a wrong stream, e.g. ${bad[0]!.problem ?? `${bad[0]!.next} messages`}`);
  return { deliveries: total, seconds, cpuSeconds: cpu, ...(threadCpuSeconds ? { threadCpuSeconds } : {}) };
}

function withShare(r: FanoutRun, perThread: Map<string, number>, publisher: string, subscribers: number): FanoutRun {
  return { ...r, perThread, publisher, remoteShare: (subscribers - (perThread.get(publisher) ?? 0)) / subscribers };
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
    const tid = Promise.withResolvers<string>();
    const pub = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data: (_s, d) => tid.resolve(d.toString().trim()), error() {} } });
    socks.push(pub);
    pub.setNoDelay(true);
    pub.write("TID\n");
    const publisher = await within(tid.promise, load.timeoutMs, `${server.name}: TID`);
    const r = await drive(load, checks, (seq) => void pub.write(fanoutMessage("m", seq, load.size, true)), delivered, server, tasks);
    return withShare(r, perThread, publisher, load.subscribers);
  } finally {
    for (const s of socks) s.end();
  }
}

/** A WebSocket to `url` once open; text of every message (binary read as latin1) goes to `onText`. */
function openWs(url: string, onText: ((m: string) => void) | null, sockets: WebSocket[], timeoutMs: number, name: string): Promise<WebSocket> {
  const opened = new Promise<WebSocket>((res, rej) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    ws.onopen = () => res(ws);
    ws.onerror = () => rej(new Error(`${name}: a WebSocket did not open`));
    if (onText) ws.onmessage = (ev) => onText(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data as ArrayBuffer).toString("latin1"));
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
    const tid = Promise.withResolvers<string>();
    const pub = await openWs(url, (m) => tid.resolve(m.trim()), sockets, load.timeoutMs, server.name);
    pub.send("TID\n");
    const publisher = await within(tid.promise, load.timeoutMs, `${server.name}: TID`);
    const r = await drive(load, checks, (seq) => pub.send(fanoutMessage("m", seq, load.size, true)), delivered, server, tasks);
    return withShare(r, perThread, publisher, load.subscribers);
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
    const pub = await openWs(url, null, sockets, load.timeoutMs, server.name);
    return await drive(load, checks, (seq) => pub.send(fanoutMessage(prefix, seq, load.size, false)), delivered, server);
  } finally {
    for (const ws of sockets) ws.close();
  }
}
