/**
 * @module stats/stats-registry
 * The process's counters, as the status listener reads them. Every set of threads (one ThreadSupervisor: a
 * generation of I/O threads and handler threads) opens a group, one SharedArrayBuffer with a slot per thread (see
 * stats-slot.ts), and closes it when its threads have stopped. Closing folds the group's counters into a per-thread
 * "retired" total, so the sums (and each thread's series) keep growing across reloads and restarts instead of
 * starting again at zero; gauges are dropped with their threads. Child processes (`server.processes` > 1) have
 * registries of their own and send their snapshots to the master (stats-push.ts), which keeps the latest per child
 * process (setRemote) and, when that process exits, folds it into the retired totals like a stopped group.
 *
 * One registry per process, reached through statsRegistry(): the supervisors that open groups and the status
 * listener that reads them are started far apart, and a process-wide object keeps the wiring out of the master.
 */

import type { ProcessSample } from "./process-sample.ts";
import { FIXED_FIELDS, GAUGES } from "./stat-fields.ts";
import { SLOT_BYTES, StatsSlot, type StatsRef } from "./stats-slot.ts";

/** "main": the process's own thread where it relays topics (the mesh uplink, the Redis bridge; pubsub/mesh.ts). */
export type ThreadRole = "io" | "handler" | "main";

/** One thread's counters (or, merged, every thread that had this role and index). Plain data: crosses IPC. */
export interface ThreadStats {
  readonly role: ThreadRole;
  readonly index: number;
  /** Child process index in multi-process mode; absent for the process's own threads. */
  readonly process?: number;
  /** The fixed fields, by stat-fields.ts index. */
  readonly fields: number[];
  /** Module counters, "<module>\t<counter>" → value (a tab, since both names may contain dots). */
  readonly modules: Record<string, number>;
  /** HTTP request-duration histograms by listener URL (stats/duration-histogram.ts layout); absent = none. */
  readonly durations?: Record<string, number[]>;
}

/**
 * The slots of one set of threads: I/O threads first, then handler threads, then the same again as spares. A thread
 * recycled after an uncaught exception (master/worker-group.ts) drains while its replacement already serves: the
 * replacement counts into the spare slot of that index, and readers merge both slots of an index into one entry.
 * With `main`, one more slot at the end for the process's main thread, which relays topics to other processes or a
 * broker and counts what it could not deliver there (its only writer is that thread, as for every slot).
 */
export class StatsGroup {
  readonly sab: SharedArrayBuffer;
  private readonly slots: StatsSlot[] = [];

  constructor(
    readonly ioThreads: number,
    readonly handlerThreads: number,
    private readonly onClose: (g: StatsGroup) => void,
    readonly main = false,
  ) {
    const n = ioThreads + handlerThreads;
    const slots = 2 * n + (main ? 1 : 0);
    this.sab = new SharedArrayBuffer(Math.max(1, slots) * SLOT_BYTES);
    for (let s = 0; s < slots; s++) this.slots.push(StatsSlot.attach({ sab: this.sab, slot: s }));
  }

  /** What the start message of a thread carries; `variant` 1 is the index's spare slot. */
  ref(role: ThreadRole, index: number, variant = 0): StatsRef {
    const n = this.ioThreads + this.handlerThreads;
    if (role === "main") return { sab: this.sab, slot: 2 * n };
    return { sab: this.sab, slot: (role === "io" ? index : this.ioThreads + index) + variant * n };
  }

  /** One entry per slot (an index appears twice, once per variant): StatsRegistry.snapshot() merges them. */
  read(): ThreadStats[] {
    const n = this.ioThreads + this.handlerThreads;
    return this.slots.map((s, k): ThreadStats => {
      if (k === 2 * n) return { role: "main", index: 0, ...s.read() };
      const i = k % Math.max(1, n);
      const io = i < this.ioThreads;
      return { role: io ? "io" : "handler", index: io ? i : i - this.ioThreads, ...s.read() };
    });
  }

  /** A thread has exited: its gauges describe nothing any more (counters stay). */
  resetGauges(role: ThreadRole, index: number, variant: number): void {
    StatsSlot.attach(this.ref(role, index, variant)).resetGauges();
  }

  /** The threads have stopped: their counters become part of the retired totals. */
  close(): void {
    this.onClose(this);
  }
}

const ROLE_ORDER: Record<ThreadRole, number> = { io: 0, handler: 1, main: 2 };

const keyOf = (t: Pick<ThreadStats, "role" | "index" | "process">): string => `${t.process ?? ""}/${t.role}/${t.index}`;

function empty(t: Pick<ThreadStats, "role" | "index" | "process">): ThreadStats {
  const base = { role: t.role, index: t.index, fields: new Array<number>(FIXED_FIELDS).fill(0), modules: {}, durations: {} };
  return t.process === undefined ? base : { ...base, process: t.process };
}

/** Adds b into a (in place); `gauges` false leaves gauges out (retiring). */
function addInto(a: ThreadStats, b: ThreadStats, gauges: boolean): void {
  for (let i = 0; i < FIXED_FIELDS; i++) if (gauges || !GAUGES.has(i)) a.fields[i] = a.fields[i]! + (b.fields[i] ?? 0);
  for (const [k, v] of Object.entries(b.modules)) a.modules[k] = (a.modules[k] ?? 0) + v;
  if (b.durations === undefined) return;
  const into = a.durations!;
  for (const [url, h] of Object.entries(b.durations)) {
    const acc = (into[url] ??= new Array<number>(h.length).fill(0));
    for (let i = 0; i < h.length; i++) acc[i] = acc[i]! + h[i]!;
  }
}

export class StatsRegistry {
  private readonly groups = new Set<StatsGroup>();
  private readonly retired = new Map<string, ThreadStats>();
  /** Latest snapshot per child process, by its pid (during a reload two children share an index). */
  private readonly remote = new Map<number, ThreadStats[]>();
  /** Latest process sample per live child process, by its pid; gone with the process (as its gauges are). */
  private readonly remoteProcess = new Map<number, ChildProcessSample>();

  /** Slots for a set of threads; close() the group once they have stopped. */
  open(ioThreads: number, handlerThreads: number, main = false): StatsGroup {
    const g = new StatsGroup(ioThreads, handlerThreads, (x) => this.retire(x.read(), x), main);
    this.groups.add(g);
    return g;
  }

  private retire(threads: readonly ThreadStats[], group?: StatsGroup): void {
    if (group !== undefined && !this.groups.delete(group)) return;
    for (const t of threads) {
      const k = keyOf(t);
      const r = this.retired.get(k) ?? empty(t);
      addInto(r, t, false);
      this.retired.set(k, r);
    }
  }

  /** The latest snapshot of a child process (its own registry's snapshot()); `index` is its server.processes index. */
  setRemote(pid: number, index: number, threads: readonly ThreadStats[], sample?: ProcessSample): void {
    this.remote.set(pid, threads.map((t) => ({ ...t, process: index })));
    if (sample !== undefined) this.remoteProcess.set(pid, { ...sample, index });
  }

  /** The latest process sample of every live child process, by index then pid. */
  childProcesses(): ChildProcessSample[] {
    return [...this.remoteProcess.values()].sort((a, b) => a.index - b.index || a.pid - b.pid);
  }

  /** Child process `pid` is gone: its last counters stay in the totals; a replacement adds to them. */
  retireRemote(pid: number): void {
    this.remoteProcess.delete(pid);
    const last = this.remote.get(pid);
    if (last === undefined) return;
    this.remote.delete(pid);
    this.retire(last);
  }

  /** Every thread's counters, retired ones folded in, one entry per (process, role, index), in that order. */
  snapshot(): ThreadStats[] {
    const merged = new Map<string, ThreadStats>();
    const take = (t: ThreadStats, gauges: boolean) => {
      const k = keyOf(t);
      let m = merged.get(k);
      if (m === undefined) merged.set(k, (m = empty(t)));
      addInto(m, t, gauges);
    };
    for (const t of this.retired.values()) take(t, false);
    for (const g of this.groups) for (const t of g.read()) take(t, true);
    for (const list of this.remote.values()) for (const t of list) take(t, true);
    return [...merged.values()].sort(
      (a, b) => (a.process ?? -1) - (b.process ?? -1) || ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.index - b.index,
    );
  }

  /** Threads running now, by role (a generation being replaced and its successor count once). */
  running(): { io: number; handler: number } {
    const io = new Set<string>();
    const handler = new Set<string>();
    for (const g of this.groups) {
      for (let i = 0; i < g.ioThreads; i++) io.add(`/${i}`);
      for (let j = 0; j < g.handlerThreads; j++) handler.add(`/${j}`);
    }
    for (const list of this.remote.values()) for (const t of list) if (t.role !== "main") (t.role === "io" ? io : handler).add(`${t.process}/${t.index}`);
    return { io: io.size, handler: handler.size };
  }
}

/** A child process's sample with its `server.processes` index. */
export type ChildProcessSample = ProcessSample & { readonly index: number };

let registry: StatsRegistry | undefined;

/** This process's registry. */
export function statsRegistry(): StatsRegistry {
  return (registry ??= new StatsRegistry());
}
