/**
 * @module status/status-server
 * The status listener (`status.listen`, off by default): one small HTTP server run by the master with Bun.serve.
 * It is the master's only socket and carries no data-path traffic: the I/O threads keep every client socket; this
 * answers an operator or an orchestrator, and reads the threads' counters from shared memory (stats-registry.ts)
 * when asked. Routes:
 *   GET /status   JSON: state, uptime, generation, processes, threads, sums and per-thread counters
 *   GET /metrics  Prometheus text format 0.0.4
 *   GET /healthz  200 while the process runs (liveness)
 *   GET /readyz   200 "ready" once every thread listens; 200 "degraded: …" while some thread or process is down
 *                 (restarting, crash loop, recycling) and the others serve — a load balancer should keep such an
 *                 instance, since every connection it accepts lands on a live thread; 503 while starting, while
 *                 draining, while a thread is stalled (SO_REUSEPORT may still hand it new connections) and while
 *                 nothing serves at all (readiness)
 *   POST /reload  live reload, like SIGHUP; answers once the new generation serves (200) or with the reasons it was
 *                 refused (409).
 * Every request passes status-access.ts first (Host and Origin must name this listener; `status.token` when set),
 * and /metrics and /status are rendered at most once per 100 ms (render-cache.ts), whatever the request rate.
 * The master tells it where it is through `events` (ready after a generation starts, draining on SIGTERM/SIGINT).
 */
import type { Server } from "bun";
import type { Config } from "../config/keys.ts";
import { parseListenUrl, formatListenUrl } from "../config/listen-url.ts";
import { describeError, grocketdError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { MasterControl, MasterEvents } from "../master/master.ts";
import { statsRegistry, type StatsRegistry } from "../stats/stats-registry.ts";
import { metricsText, METRICS_CONTENT_TYPE } from "./metrics-text.ts";
import { statusJson, type StatusState } from "./status-report.ts";
import { accessPolicy, refusal, type AccessPolicy } from "./status-access.ts";
import { RenderCache } from "./render-cache.ts";
import { statusListenProblem } from "../config/status-check.ts";

const NO_STORE = { "Cache-Control": "no-store" };
const ROUTES = "GET /status, /metrics, /healthz, /readyz; POST /reload\n";
/** Shortest time between two renders of /metrics or /status (milliseconds). */
export const RENDER_EVERY_MS = 100;

export class StatusListener {
  readonly state: StatusState;
  /** Hand these to the master: they move /readyz. */
  readonly events: MasterEvents;
  private control: MasterControl | null = null;
  private readonly policy: AccessPolicy;
  /** The texts /metrics and /status serve; `renders` counts how often they were built. */
  readonly metrics: RenderCache<string>;
  readonly status: RenderCache<string>;

  private constructor(
    private readonly server: Server<undefined>,
    private readonly registry: StatsRegistry,
    processes: number,
    hostname: string,
    token: string,
    now: () => number,
  ) {
    this.state = { phase: "starting", generation: 0, processes, startedAt: Date.now() };
    this.policy = accessPolicy(hostname, server.port ?? 0, token);
    this.metrics = new RenderCache(RENDER_EVERY_MS, () => metricsText(this.state, this.registry.snapshot(), this.registry.running(), this.registry.childProcesses()), now);
    this.status = new RenderCache(RENDER_EVERY_MS, () => JSON.stringify(statusJson(this.state, this.registry.snapshot(), this.registry.running())), now);
    this.events = {
      ready: (generation, processes) => {
        this.state.generation = generation;
        this.state.processes = processes; // a reload may change server.processes
        if (this.state.phase === "starting") this.state.phase = "ready";
        this.stateChanged();
      },
      draining: () => {
        this.state.phase = "draining";
        this.stateChanged();
      },
      attach: (control) => {
        this.control = control;
      },
    };
  }

  /** Phase, generation or processes changed: the cached texts are stale whatever their age (render-cache.ts). */
  private stateChanged(): void {
    this.metrics.invalidate();
    this.status.invalidate();
  }

  /** The URL it answers on, with the actual port. */
  get url(): string {
    return formatListenUrl("http", this.server.hostname ?? "127.0.0.1", this.server.port ?? 0);
  }

  /**
   * Starts the listener `config.status.listen` names, or returns null when it is off. Throws GRK_ERR_STATUS when
   * the address cannot be bound (in use, not local), or is not on loopback and status.token is not set.
   * `now` is the clock of the render cache (tests freeze it).
   */
  static start(config: Config, log: Logger, registry = statsRegistry(), now?: () => number): StatusListener | null {
    const url = config.status.listen;
    if (url === "") return null;
    const entry = parseListenUrl(url);
    if (typeof entry === "string") throw grocketdError("GRK_ERR_STATUS", "url", { url, problem: entry });
    const unsafe = statusListenProblem(config);
    if (unsafe !== null) throw grocketdError("GRK_ERR_STATUS", "unsafe", { problem: unsafe });
    let self: StatusListener | undefined;
    let server: Server<undefined>;
    try {
      server = Bun.serve({
        hostname: entry.hostname,
        port: entry.port,
        // Answers are computed on demand; POST /reload answers only once the new generation serves (seconds).
        idleTimeout: 60,
        fetch: (req) => self!.answer(req),
        error: (err) => {
          log.error("status listener: request failed", { error: describeError(err) });
          return new Response("internal error\n", { status: 500 });
        },
      });
    } catch (err) {
      throw grocketdError("GRK_ERR_STATUS", "listen", { url, reason: describeError(err) }, { cause: err });
    }
    self = new StatusListener(server, registry, config.server.processes, entry.hostname, config.status.token, now ?? (() => performance.now()));
    // Not "listening on": that phrase announces data-path listeners, which tools and tests count.
    log.info(`status listener on ${self.url}`);
    return self;
  }

  private answer(req: Request): Response | Promise<Response> {
    const refused = refusal(this.policy, req);
    if (refused !== null) return refused;
    const path = new URL(req.url).pathname; // a Host header is known to be present, so req.url is absolute
    if (path === "/reload") {
      if (req.method !== "POST") return new Response("method not allowed\n", { status: 405, headers: { Allow: "POST" } });
      return this.reload();
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } });
    }
    switch (path) {
      case "/healthz":
        return new Response("ok\n", { headers: NO_STORE });
      case "/readyz":
        return this.readiness();
      case "/status":
        return new Response(this.status.get(), { headers: { "Content-Type": "application/json;charset=utf-8", ...NO_STORE } });
      case "/metrics":
        return new Response(this.metrics.get(), {
          headers: { "Content-Type": METRICS_CONTENT_TYPE, ...NO_STORE },
        });
      default:
        return new Response(`not found; try ${ROUTES}`, { status: 404 });
    }
  }

  private readiness(): Response {
    const phase = this.state.phase;
    if (phase !== "ready") return new Response(`not ready: ${phase}\n`, { status: 503, headers: NO_STORE });
    const h = this.control?.health();
    if (h === undefined || h.problems.length === 0) return new Response("ready\n", { headers: NO_STORE });
    const list = h.problems.join("; ");
    if (h.stalled) return new Response(`not ready: stalled: ${list}\n`, { status: 503, headers: NO_STORE });
    if (!h.serving) return new Response(`not ready: nothing serves: ${list}\n`, { status: 503, headers: NO_STORE });
    return new Response(`degraded: ${list}\n`, { headers: NO_STORE });
  }

  private async reload(): Promise<Response> {
    if (this.control === null) return Response.json({ reloaded: false, reason: "still starting", problems: [] }, { status: 503, headers: NO_STORE });
    const r = await this.control.reload("POST /reload");
    return r.ok
      ? Response.json({ reloaded: true, generation: r.generation, draining: r.draining }, { headers: NO_STORE })
      : Response.json({ reloaded: false, reason: r.reason, problems: r.problems }, { status: 409, headers: NO_STORE });
  }

  stop(): void {
    void this.server.stop(true);
  }
}
