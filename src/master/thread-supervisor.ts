/**
 * @module master/thread-supervisor
 * Runs the worker side of a server: the I/O threads and, with `worker.disabled = false`, the handler threads and the
 * ring pairs between every I/O thread and every handler thread (allocated here, once, and handed out by
 * postMessage; a replaced thread gets fresh rings and its peers are told). Port 0 is resolved by the first I/O
 * thread and the others then bind the same port, so the master itself never touches a socket. On stop the I/O
 * threads drain first (their in-flight packets still need the handlers), then the handlers stop.
 * Supervision itself (restarts, the watchdog, recycling) is worker-group.ts; this file hands each thread its
 * resources. An I/O thread recycled after an uncaught exception drains beside its replacement, so each I/O index has
 * two variants, each with its own stats slot, watchdog slot and rings: ring link number i + threads × variant.
 * Handler threads are recycled the same way: handler j's variant v has its rings at column j + handlers × v, and the
 * I/O threads pin new connections to the variant in `handlerVariant` (switched when the replacement is spawned).
 */
import { innerProtocol, withPort } from "../config/listen-url.ts";
import type { Logger } from "../log/logger.ts";
import type { RingPair, StopMode, ToHandler, ToThread } from "../io/messages.ts";
import type { Binding } from "../module/binding.ts";
import { Ring } from "../ring/ring.ts";
import { Mesh } from "../pubsub/mesh.ts";
import { RedisBridge } from "../pubsub/redis-bridge.ts";
import { StatsSlot } from "../stats/stats-slot.ts";
import { statsRegistry, type StatsGroup } from "../stats/stats-registry.ts";
import type { PlanData } from "./plan-data.ts";
import { RestartPolicy } from "./restart-policy.ts";
import { WorkerGroup, type GroupHealth } from "./worker-group.ts";
import { HealthBoard } from "../io/thread-health.ts";
import { entryUrl } from "../entry-path.ts";
import type { Serving, ServingHealth } from "./serving.ts";
import { llhttpModule } from "../http/llhttp/wasm-loader.ts";

// Through entry-path.ts so they also resolve inside the single binary (where import.meta.url names the bundle).
export const IO_THREAD_URL = entryUrl("src/thread/io-thread.ts");
const HANDLER_THREAD_URL = entryUrl("src/pool/handler-thread.ts");

export class ThreadSupervisor implements Serving {
  private bindings: Binding[];
  private readonly io: WorkerGroup;
  private readonly handlers: WorkerGroup | null;
  /** rings[k][c]: I/O link k (thread k % threads, variant k / threads) ↔ handler c % handlers, variant c / handlers. */
  private readonly rings: RingPair[][] = [];
  /** The variant of each handler thread that the I/O threads pin new connections to. */
  private readonly handlerVariant: number[] = [];
  /**
   * mesh[i][j]: I/O thread i → I/O thread j (pubsub/mesh.ts); empty with one I/O thread. In a child process
   * (server.processes > 1) this thread is one more member, index `threads`: the uplink that carries publishes to the
   * master and the other processes' publishes down to this process's I/O threads.
   */
  private readonly mesh: (SharedArrayBuffer | null)[][] = [];
  private uplink: Mesh | null = null;
  private bridge: RedisBridge | null = null;
  /** pubsub.redis: one int32, 1 while Redis cannot be reached (read by the I/O threads at each publish). */
  private readonly brokerDown: SharedArrayBuffer | null;
  /** Set by the child process: a publish made on one of this process's I/O threads, to relay to the others. */
  onUplink: (topic: string, bytes: Uint8Array) => void = () => {};
  /** One slot of shared counters per thread, read by the status listener (stats/stats-registry.ts). */
  private readonly stats: StatsGroup;
  /** Heartbeats and current hooks, laid out like the stats slots (io/thread-health.ts). */
  private readonly board: HealthBoard;
  /** llhttp compiled once in this thread and handed to every I/O thread (start message); undefined without HTTP. */
  private readonly llhttp: WebAssembly.Module | undefined;

  constructor(
    private readonly plan: PlanData,
    private readonly log: Logger,
    /** No I/O thread (or no handler thread) can start any more: nothing will be served. */
    onDead: () => void = () => {},
    /** Child process index (multi-process mode), for log labels; null in the master. */
    proc: number | null = null,
  ) {
    this.bindings = [...plan.bindings];
    // Compiled (and SHA-256-checked) once here, usually already by the start plan's check: each I/O thread compiling
    // its own copy cost tens of ms of start-up per thread.
    // Every entry served over HTTP (ws:// and wss:// upgrades too), so no I/O thread compiles llhttp itself.
    this.llhttp = plan.bindings.some((b) => innerProtocol(b.entry.protocol) === "http") ? llhttpModule() : undefined;
    const pool = !plan.config.worker.disabled;
    const n = plan.threads;
    const m = pool ? plan.config.worker.threads : 0;
    const redis = plan.config.pubsub.redis;
    const members = plan.threads + ((proc !== null && plan.config.server.processes > 1) || redis !== "" ? 1 : 0);
    // This thread is the uplink (below) when there is one: its drops have a slot of their own (role "main").
    this.stats = statsRegistry().open(n, m, members > plan.threads);
    this.board = new HealthBoard(2 * (n + m));
    const modules = [...plan.modules];
    const { server } = plan.config;
    const policy = () => new RestartPolicy(server.restart_limit, server.restart_window_ms);
    const common = { log, drainMs: server.drain_ms, startTimeoutMs: server.start_timeout_ms, onDead };
    const watch = (slot: (index: number, variant: number) => number) => ({
      board: this.board, timeoutMs: server.stall_timeout_ms, slotOf: slot, moduleNames: modules.map((x) => x.name),
    });
    const ioSlot = (i: number, v: number) => i + v * (n + m);
    const handlerSlot = (j: number, v: number) => n + j + v * (n + m);
    if (pool) {
      for (let k = 0; k < 2 * n; k++) {
        this.rings.push([]);
        for (let j = 0; j < m; j++) this.rings[k]!.push(this.newPair());
      }
      for (let j = 0; j < m; j++) this.handlerVariant.push(0);
    }
    this.brokerDown = redis === "" ? null : new SharedArrayBuffer(4);
    if (members > 1) {
      for (let i = 0; i < members; i++) {
        this.mesh.push([]);
        for (let j = 0; j < members; j++) this.mesh[i]!.push(i === j ? null : this.newMeshRing());
      }
    }
    if (members > plan.threads) {
      const up = plan.threads;
      // Its drops (a full ring to one of this process's I/O threads, a publish Redis refused) count in its own slot.
      const mainStats = StatsSlot.attach(this.stats.ref("main", 0)).fields;
      const uplink = (this.uplink = new Mesh({ out: this.mesh[up]!, in: this.mesh.map((row) => row[up]!) }, () => mainStats, {
        // With Redis every process bridges itself (Redis reaches the other processes too); else the master relays.
        published: (topic, bytes) => (this.bridge !== null ? this.bridge.publish(topic, bytes) : this.onUplink(topic, bytes)),
        sent: () => {},
        interest: (thread, topic, on) => this.bridge?.interestChanged(thread, topic, on),
      }, log));
      if (redis !== "") {
        this.bridge = new RedisBridge(redis, {
          deliver: (topic, bytes) => uplink.publish(topic, -1, bytes), down: new Int32Array(this.brokerDown!), log, stats: mainStats,
        });
      }
    }
    /** Fresh rings between I/O link k and every handler (the old ones may hold a dead thread's records). */
    const freshIoRings = (k: number) => {
      for (let j = 0; j < m; j++) {
        const vs = this.handlers!.liveVariants(j);
        for (const v of vs.length > 0 ? vs : [this.handlerVariant[j]!]) {
          const pair = (this.rings[k]![j + m * v] = this.newPair());
          this.handlers!.sendTo(j, { t: "pool-io", io: k, rings: pair } satisfies ToHandler, v);
        }
      }
    };
    /** Handler j's variant v gets fresh rings to every live I/O link; `t` says how the I/O threads take them. */
    const freshHandlerRings = (j: number, v: number, t: "pool-handler" | "pool-handler-recycle") => {
      this.handlerVariant[j] = v;
      for (const k of this.ioLinks()) {
        const pair = (this.rings[k]![j + m * v] = this.newPair());
        this.io.sendTo(k % n, { t, handler: j, rings: pair } satisfies ToThread, Math.floor(k / n));
      }
    };
    /** Fresh mesh rings to and from I/O thread i (pubsub/mesh.ts); each peer switches to them. */
    const freshMesh = (i: number) => {
      for (let j = 0; j < this.mesh.length; j++) {
        if (j === i) continue;
        const out = (this.mesh[j]![i] = this.newMeshRing());
        const inp = (this.mesh[i]![j] = this.newMeshRing());
        if (j === this.plan.threads) {
          this.uplink?.setPeer(i, out, inp);
          this.bridge?.threadReplaced(i);
        } else this.io.sendTo(j, { t: "mesh-peer", peer: i, out: out!, in: inp! } satisfies ToThread);
      }
    };
    this.io = new WorkerGroup({
      ...common,
      label: "I/O thread",
      url: IO_THREAD_URL,
      count: n,
      policy: policy(),
      watch: watch(ioSlot),
      startMessage: (index, _restart, variant): ToThread => ({
        t: "start",
        index,
        proc,
        config: plan.config,
        modules,
        bindings: this.bindings,
        pool: pool ? this.handlerVariant.map((hv, j) => this.rings[index + n * variant]![j + m * hv]!) : null,
        stats: this.stats.ref("io", index, variant),
        health: this.board.ref(ioSlot(index, variant)),
        ...(this.llhttp === undefined ? {} : { llhttp: this.llhttp }),
        ...(this.mesh.length === 0
          ? {}
          : {
              mesh: {
                out: this.mesh[index]!,
                in: this.mesh.map((row) => row[index]!),
                uplink: this.uplink === null ? undefined : plan.threads,
                brokerDown: this.brokerDown ?? undefined,
              },
            }),
      }),
      // The dead thread's records are meaningless now: fresh rings (mesh: both ways, peers switch; pool: each
      // handler drops that link's connections).
      beforeRestart: (i, v) => {
        freshMesh(i);
        if (pool) freshIoRings(i + n * v);
      },
      // The faulted thread keeps its pool link while it drains and its replacement gets the other one; the mesh
      // moves to the replacement (the draining thread's topic traffic to other threads stops: its rings go unread).
      beforeRecycle: (i, v) => {
        freshMesh(i);
        if (pool) freshIoRings(i + n * v);
      },
      retired: (i, v) => pool && this.handlers!.sendToAll({ t: "pool-io-retired", io: i + n * v } satisfies ToHandler),
      exited: (i, v) => this.stats.resetGauges("io", i, v),
    });
    this.handlers = !pool
      ? null
      : new WorkerGroup({
          ...common,
          label: "handler thread",
          url: HANDLER_THREAD_URL,
          count: m,
          policy: policy(),
          watch: watch(handlerSlot),
          // The I/O threads fail its connections over now: waiting out the restart back-off would leave them hanging.
          // A faulted thread that dies while its replacement starts is retired instead: the lane is the replacement's.
          onDied: (j, v) => {
            const t = v === this.handlerVariant[j] ? "pool-handler-lost" : "pool-handler-retired";
            this.io.sendToAll({ t, handler: j } satisfies ToThread);
          },
          startMessage: (index, _restart, variant): ToHandler => ({
            t: "start",
            index,
            proc,
            config: plan.config,
            modules,
            links: this.ioLinks().map((k) => ({ io: k, rings: this.rings[k]![index + m * variant]! })),
            stats: this.stats.ref("handler", index, variant),
            health: this.board.ref(handlerSlot(index, variant)),
            bindings: this.bindings, // ports are 0 until the I/O threads listen; then a "bindings" message follows
          }),
          beforeRestart: (j, v) => freshHandlerRings(j, v, "pool-handler"),
          // The replacement takes new connections from now on (their records wait in its rings while it starts); the
          // faulted thread keeps its rings and serves what is pinned to it until it is retired.
          beforeRecycle: (j, v) => freshHandlerRings(j, v, "pool-handler-recycle"),
          retired: (j) => this.io.sendToAll({ t: "pool-handler-retired", handler: j } satisfies ToThread),
          exited: (j, v) => this.stats.resetGauges("handler", j, v),
        });
  }

  /** A publish from another process: to every I/O thread of this one (they deliver it; none relays it again). */
  relayIn(topic: string, bytes: Uint8Array): void {
    this.uplink?.publish(topic, -1, bytes);
  }

  private newMeshRing(): SharedArrayBuffer {
    return Ring.create(this.plan.config.pubsub.ring_bytes).sab;
  }

  /** The ring links of I/O threads alive now (before any has started: variant 0 of each). */
  private ioLinks(): number[] {
    const n = this.plan.threads;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const vs = this.io.liveVariants(i);
      for (const v of vs.length > 0 ? vs : [0]) out.push(i + n * v);
    }
    return out;
  }

  private newPair(): RingPair {
    const bytes = this.plan.config.worker.ring_bytes;
    return { req: Ring.create(bytes).sab, res: Ring.create(bytes).sab };
  }

  /** Listen entries with their actual ports, once start() has resolved. */
  get resolvedBindings(): readonly Binding[] {
    return this.bindings;
  }

  health(): ServingHealth {
    const groups: GroupHealth[] = [this.io.health()];
    if (this.handlers) groups.push(this.handlers.health());
    return {
      serving: groups.every((g) => g.serving > 0),
      stalled: groups.some((g) => g.stalled),
      problems: groups.flatMap((g) => g.problems),
    };
  }

  /** Starts every thread; rejects (after the caller stops those that started) if any cannot start. */
  async start(): Promise<void> {
    if (this.handlers) {
      await Promise.all(Array.from({ length: this.plan.config.worker.threads }, (_, j) => this.handlers!.startOne(j)));
      this.handlers.markStarted();
    }
    // Port 0 is resolved by thread 0 before the others start (they must bind the same port); with every port given,
    // all I/O threads start at once, so start-up does not grow with the thread count.
    const rest: Promise<number[]>[] = [];
    if (this.bindings.some((b) => b.entry.port === 0)) {
      const ports = await this.io.startOne(0);
      this.bindings = this.bindings.map((b, i) => (b.entry.port === 0 ? { ...b, entry: withPort(b.entry, ports[i]!) } : b));
    } else {
      rest.push(this.io.startOne(0));
    }
    for (let i = 1; i < this.plan.threads; i++) rest.push(this.io.startOne(i));
    await Promise.all(rest);
    this.io.markStarted();
    // Handler threads started before the ports were known.
    this.handlers?.sendToAll({ t: "bindings", bindings: this.bindings } satisfies ToHandler);
  }

  /**
   * Drains and stops the I/O threads, then the handler threads. Handlers hear of the drain at its start (their hooks
   * see `stopping` with everyone else's) and get what is left of the drain time, so a stop stays within drainMs.
   */
  async stop(drainMs: number, mode: StopMode = "stop"): Promise<void> {
    const deadline = performance.now() + drainMs;
    this.handlers?.sendToAll({ t: "draining" } satisfies ToHandler);
    await this.io.stop(drainMs, mode);
    await this.handlers?.stop(Math.max(0, deadline - performance.now()), mode);
    this.bridge?.stop();
    await this.uplink?.stop();
    this.stats.close();
  }
}
