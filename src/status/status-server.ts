/**
 * @module status/status-server
 * The status listener (`status.listen`, off by default): one small HTTP server run by the master with Bun.serve.
 * It is the master's only socket and carries no data-path traffic: the I/O threads keep every client socket; this
 * answers an operator or an orchestrator, and reads the threads' counters from shared memory (stats-registry.ts)
 * when asked. Routes:
 *   GET /status   JSON: state, uptime, generation, processes, threads, sums and per-thread counters
 *   GET /metrics  Prometheus text format 0.0.4
 *   GET /healthz  200 while the process runs (liveness)
 *   GET /readyz   200 once every thread listens, 503 before that and while draining (readiness)
 *   POST /reload  live reload, like SIGHUP; answers once the new generation serves (200) or with the reasons it was
 *                 refused (409). Whoever can reach the listener can reload: keep it on loopback or a private network.
 * The master tells it where it is through `events` (ready after a generation starts, draining on SIGTERM/SIGINT).
 */
import type { Server } from "bun";
import type { Config } from "../config/keys.ts";
import { parseListenUrl, formatListenUrl } from "../config/listen-url.ts";
import { describeError, ErrorCodes, GrocketdError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { MasterControl, MasterEvents } from "../master/master.ts";
import { statsRegistry, type StatsRegistry } from "../stats/stats-registry.ts";
import { metricsText, METRICS_CONTENT_TYPE } from "./metrics-text.ts";
import { statusJson, type StatusState } from "./status-report.ts";

const NO_STORE = { "Cache-Control": "no-store" };
const ROUTES = "GET /status, /metrics, /healthz, /readyz; POST /reload\n";

export class StatusListener {
  readonly state: StatusState;
  /** Hand these to the master: they move /readyz. */
  readonly events: MasterEvents;
  private control: MasterControl | null = null;

  private constructor(
    private readonly server: Server<undefined>,
    private readonly registry: StatsRegistry,
    processes: number,
  ) {
    this.state = { phase: "starting", generation: 0, processes, startedAt: Date.now() };
    this.events = {
      ready: (generation, processes) => {
        this.state.generation = generation;
        this.state.processes = processes; // a reload may change server.processes
        if (this.state.phase === "starting") this.state.phase = "ready";
      },
      draining: () => {
        this.state.phase = "draining";
      },
      attach: (control) => {
        this.control = control;
      },
    };
  }

  /** The URL it answers on, with the actual port. */
  get url(): string {
    return formatListenUrl("http", this.server.hostname ?? "127.0.0.1", this.server.port ?? 0);
  }

  /**
   * Starts the listener `config.status.listen` names, or returns null when it is off. Throws GRK_ERR_STATUS when
   * the address cannot be bound (in use, not local).
   */
  static start(config: Config, log: Logger, registry = statsRegistry()): StatusListener | null {
    const url = config.status.listen;
    if (url === "") return null;
    const entry = parseListenUrl(url);
    if (typeof entry === "string") throw new GrocketdError(ErrorCodes.STATUS, `status.listen: ${url}: ${entry}`);
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
      throw new GrocketdError(ErrorCodes.STATUS, `status.listen: cannot listen on ${url}: ${describeError(err)}`, { cause: err });
    }
    self = new StatusListener(server, registry, config.server.processes);
    // Not "listening on": that phrase announces data-path listeners, which tools and tests count.
    log.info(`status listener on ${self.url}`);
    return self;
  }

  private answer(req: Request): Response | Promise<Response> {
    const path = new URL(req.url).pathname;
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
      case "/readyz": {
        const phase = this.state.phase;
        return phase === "ready"
          ? new Response("ready\n", { headers: NO_STORE })
          : new Response(`not ready: ${phase}\n`, { status: 503, headers: NO_STORE });
      }
      case "/status":
        return Response.json(statusJson(this.state, this.registry.snapshot(), this.registry.running()), { headers: NO_STORE });
      case "/metrics":
        return new Response(metricsText(this.state, this.registry.snapshot(), this.registry.running()), {
          headers: { "Content-Type": METRICS_CONTENT_TYPE, ...NO_STORE },
        });
      default:
        return new Response(`not found; try ${ROUTES}`, { status: 404 });
    }
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
