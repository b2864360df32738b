/**
 * @module master/thread-supervisor
 * Runs the worker side of a server: the I/O threads and, with `worker.disabled = false`, the handler threads and the
 * ring pairs between every I/O thread and every handler thread (allocated here, once, and handed out by
 * postMessage; a replaced thread gets fresh rings and its peers are told). Port 0 is resolved by the first I/O
 * thread and the others then bind the same port, so the master itself never touches a socket. On stop the I/O
 * threads drain first (their in-flight packets still need the handlers), then the handlers stop.
 */
import { withPort } from "../config/listen-url.ts";
import type { Logger } from "../log/logger.ts";
import type { Binding, RingPair, StopMode, ToHandler, ToThread } from "../io/messages.ts";
import { Ring } from "../ring/ring.ts";
import { Mesh } from "../pubsub/mesh.ts";
import { RedisBridge } from "../pubsub/redis-bridge.ts";
import { FIXED_FIELDS } from "../stats/stat-fields.ts";
import { statsRegistry, type StatsGroup } from "../stats/stats-registry.ts";
import type { PlanData } from "./plan-data.ts";
import { RestartPolicy } from "./restart-policy.ts";
import { WorkerGroup } from "./worker-group.ts";
import { entryUrl } from "../entry-path.ts";
import type { Serving } from "./serving.ts";

// Through entry-path.ts so they also resolve inside the single binary (where import.meta.url names the bundle).
const IO_THREAD_URL = entryUrl("src/io/io-thread.ts");
const HANDLER_THREAD_URL = entryUrl("src/pool/handler-thread.ts");

export class ThreadSupervisor implements Serving {
  private bindings: Binding[];
  private readonly io: WorkerGroup;
  private readonly handlers: WorkerGroup | null;
  /** rings[i][j]: I/O thread i ↔ handler thread j. */
  private readonly rings: RingPair[][] = [];
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

  constructor(
    private readonly plan: PlanData,
    private readonly log: Logger,
    /** Every I/O thread is in a crash loop: nothing is served any more. */
    onDead: () => void = () => {},
    /** Child process index (multi-process mode), for log labels; null in the master. */
    proc: number | null = null,
  ) {
    this.bindings = [...plan.bindings];
    const pool = !plan.config.worker.disabled;
    this.stats = statsRegistry().open(plan.threads, pool ? plan.config.worker.threads : 0);
    const modules = [...plan.modules];
    const policy = () => new RestartPolicy(plan.config.server.restart_limit, plan.config.server.restart_window_ms);
    if (pool) {
      for (let i = 0; i < plan.threads; i++) {
        this.rings.push([]);
        for (let j = 0; j < plan.config.worker.threads; j++) this.rings[i]!.push(this.newPair());
      }
    }
    const redis = plan.config.pubsub.redis;
    this.brokerDown = redis === "" ? null : new SharedArrayBuffer(4);
    const members = plan.threads + ((proc !== null && plan.config.server.processes > 1) || redis !== "" ? 1 : 0);
    if (members > 1) {
      for (let i = 0; i < members; i++) {
        this.mesh.push([]);
        for (let j = 0; j < members; j++) this.mesh[i]!.push(i === j ? null : this.newMeshRing());
      }
    }
    if (members > plan.threads) {
      const up = plan.threads;
      // Its drops (a full ring to a thread) are not in any thread's slot: counted here, unread (documented).
      const scratch = new Float64Array(FIXED_FIELDS);
      const uplink = (this.uplink = new Mesh({ out: this.mesh[up]!, in: this.mesh.map((row) => row[up]!) }, () => scratch, {
        // With Redis every process bridges itself (Redis reaches the other processes too); else the master relays.
        published: (topic, bytes) => (this.bridge !== null ? this.bridge.publish(topic, bytes) : this.onUplink(topic, bytes)),
        sent: () => {},
        interest: (thread, topic, on) => this.bridge?.interestChanged(thread, topic, on),
      }, log));
      if (redis !== "") {
        this.bridge = new RedisBridge(redis, { deliver: (topic, bytes) => uplink.publish(topic, -1, bytes), down: new Int32Array(this.brokerDown!), log });
      }
    }
    this.io = new WorkerGroup({
      label: "I/O thread",
      url: IO_THREAD_URL,
      log,
      policy: policy(),
      onGiveUp: () => {
        if (this.io.alive === 0) onDead();
      },
      startMessage: (index): ToThread => ({
        t: "start",
        index,
        proc,
        config: plan.config,
        modules,
        bindings: this.bindings,
        pool: pool ? this.rings[index]! : null,
        stats: this.stats.ref("io", index),
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
      beforeRestart: (i) => {
        if (this.mesh.length > 0) {
          // Records to and from the dead thread are meaningless: fresh rings both ways, and each peer switches to them.
          for (let j = 0; j < this.mesh.length; j++) {
            if (j === i) continue;
            const out = (this.mesh[j]![i] = this.newMeshRing());
            const inp = (this.mesh[i]![j] = this.newMeshRing());
            if (j === this.plan.threads) {
              this.uplink?.setPeer(i, out, inp);
              this.bridge?.threadReplaced(i);
            }
            else this.io.sendTo(j, { t: "mesh-peer", peer: i, out: out!, in: inp! } satisfies ToThread);
          }
        }
        if (!pool) return;
        // The dead thread's records are meaningless now: fresh rings, and each handler drops that thread's connections.
        for (let j = 0; j < this.rings[i]!.length; j++) {
          const pair = (this.rings[i]![j] = this.newPair());
          this.handlers!.sendTo(j, { t: "pool-io", io: i, rings: pair } satisfies ToHandler);
        }
      },
    });
    this.handlers = !pool
      ? null
      : new WorkerGroup({
          label: "handler thread",
          url: HANDLER_THREAD_URL,
          log,
          policy: policy(),
          onGiveUp: () => {
            if (this.handlers!.alive === 0) onDead();
          },
          // The I/O threads fail its connections over now: waiting out the restart back-off would leave them hanging.
          onDied: (j) => {
            this.io.sendToAll({ t: "pool-handler-lost", handler: j } satisfies ToThread);
          },
          startMessage: (index): ToHandler => ({
            t: "start",
            index,
            proc,
            config: plan.config,
            modules,
            links: this.rings.map((row) => row[index]!),
            stats: this.stats.ref("handler", index),
            bindings: this.bindings, // ports are 0 until the I/O threads listen; then a "bindings" message follows
          }),
          beforeRestart: (j) => {
            for (let i = 0; i < this.rings.length; i++) {
              const pair = (this.rings[i]![j] = this.newPair());
              this.io.sendTo(i, { t: "pool-handler", handler: j, rings: pair } satisfies ToThread);
            }
          },
        });
  }

  /** A publish from another process: to every I/O thread of this one (they deliver it; none relays it again). */
  relayIn(topic: string, bytes: Uint8Array): void {
    this.uplink?.publish(topic, -1, bytes);
  }

  private newMeshRing(): SharedArrayBuffer {
    return Ring.create(this.plan.config.pubsub.ring_bytes).sab;
  }

  private newPair(): RingPair {
    const bytes = this.plan.config.worker.ring_bytes;
    return { req: Ring.create(bytes).sab, res: Ring.create(bytes).sab };
  }

  /** Listen entries with their actual ports, once start() has resolved. */
  get resolvedBindings(): readonly Binding[] {
    return this.bindings;
  }

  /** Starts every thread; rejects (after the caller stops those that started) if any cannot start. */
  async start(): Promise<void> {
    if (this.handlers) {
      await Promise.all(Array.from({ length: this.plan.config.worker.threads }, (_, j) => this.handlers!.startOne(j)));
      this.handlers.markStarted();
    }
    const ports = await this.io.startOne(0);
    this.bindings = this.bindings.map((b, i) => (b.entry.port === 0 ? { ...b, entry: withPort(b.entry, ports[i]!) } : b));
    const rest: Promise<number[]>[] = [];
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
