/**
 * @module module/module-runtime
 * What one thread (the master, an I/O thread) keeps of its modules: the init order from library resolution, one
 * hook context per module (with the runtime library `grocketd` and `require` for declared libraries), the
 * thread's objects and counters. `init` runs providers before the modules that require them; `term` runs in
 * reverse and releases each provider's singletons right after its own `term`, so consumers can still use them in
 * theirs.
 */
import type { Config } from "../config/keys.ts";
import { grocketdError, describeError } from "../errors.ts";
import type { Binding } from "./binding.ts";
import type { Logger } from "../log/logger.ts";
import { API_VERSION } from "../version.ts";
import { configGetters, type ConfigGetters } from "./config-getters.ts";
import { CounterRegistry } from "./counters.ts";
import type { LibraryHandle, PortInfo, RuntimeLibrary } from "./library-types.ts";
import type { LoadedModule } from "./load-module.ts";
import { ObjectRegistry } from "./object-registry.ts";
import type { StatsSlot } from "../stats/stats-slot.ts";
import { RUNTIME_LIBRARY, resolveLibraries, type Resolution } from "./resolve-libraries.ts";
import type { HookContext, PublishOptions, PushData, Role, SendResult } from "./types.ts";

/** The thread's push and topic service behind `ctx.send` / `ctx.publish` (pubsub/hub.ts, pool/pubsub-handler.ts). */
export interface PushService {
  send(id: number, data: PushData): SendResult;
  /** `except`: a connection id to leave out, -1 for none. */
  publish(topic: string, data: PushData, except: number): number;
}

/** The master and process roles own no connections. */
const NO_PUSH: PushService = { send: () => "unknown", publish: () => 0 };

export interface ModuleRuntimeOptions {
  readonly role: Role;
  /** Thread index; 0 in the master. */
  readonly index: number;
  readonly config: Config;
  /** The thread's logger; each module gets a child carrying its name. */
  readonly log: Logger;
  readonly bindings?: readonly Binding[];
  /** The thread's stats slot: module counters are kept there, where the status listener reads them. */
  readonly stats?: StatsSlot;
  /** `ctx.send` and `ctx.publish` (I/O and handler threads); without it they reach nothing. */
  readonly push?: PushService;
}

/** Library resolution over loaded modules (start plan, master and threads all use this). */
export function resolveModules(modules: readonly LoadedModule[]): Resolution {
  return resolveLibraries(modules.map((m) => ({ name: m.def.name, file: m.file, provides: m.def.provides, requires: m.def.requires })));
}

function portsOf(bindings: readonly Binding[]): PortInfo[] {
  return bindings.map((b) => ({ url: b.entry.url, protocol: b.entry.protocol, hostname: b.entry.hostname, port: b.entry.port, module: b.module }));
}

export class ModuleRuntime {
  /** The modules in init order. */
  readonly order: readonly LoadedModule[];
  readonly counters: CounterRegistry;
  readonly objects = new ObjectRegistry();
  /** Set when the thread begins to drain; modules read it as `ctx.grocketd.stopping`. */
  stopping = false;
  private ports: readonly PortInfo[];
  private readonly getters: ConfigGetters;
  private readonly contexts = new Map<LoadedModule, HookContext>();
  private readonly inited: LoadedModule[] = [];
  private readonly providerOf = new Map<string, string>();

  /** Throws a GrocketdError (GRK_ERR_LIBRARY) listing every resolution problem. */
  constructor(
    modules: readonly LoadedModule[],
    private readonly opts: ModuleRuntimeOptions,
  ) {
    const r = resolveModules(modules);
    if (!r.ok) throw grocketdError("GRK_ERR_LIBRARY", "problems", { problems: r.problems });
    this.order = r.order.map((i) => modules[i]!);
    this.counters = new CounterRegistry(opts.stats);
    const moduleKeys = new Map<string, readonly string[]>();
    for (const m of modules) {
      for (const [lib, def] of Object.entries(m.def.provides ?? {})) {
        this.objects.register(lib, def);
        this.providerOf.set(lib, m.def.name);
      }
      if (m.def.configSchema) moduleKeys.set(m.def.name, Object.keys(m.def.configSchema.shape));
    }
    this.getters = configGetters(opts.config, moduleKeys);
    this.ports = portsOf(opts.bindings ?? []);
  }

  /** Listen entries with their actual ports, once the listeners are bound. */
  setBindings(bindings: readonly Binding[]): void {
    this.ports = portsOf(bindings);
  }

  /** The hook context of one module on this thread (the same object for init, term and every later use). */
  context(m: LoadedModule): HookContext {
    const have = this.contexts.get(m);
    if (have) return have;
    const { role, index, config } = this.opts;
    const log = this.opts.log.child(m.def.name);
    const rt = this;
    const lib: RuntimeLibrary = {
      name: RUNTIME_LIBRARY,
      version: API_VERSION,
      ...this.getters,
      log,
      counter: (name) => this.counters.get(m.def.name, name),
      get ports() {
        return rt.ports;
      },
      thread: index,
      role,
      get stopping() {
        return rt.stopping;
      },
    };
    const handles = new Map<string, LibraryHandle>();
    const require = (name: string): RuntimeLibrary | LibraryHandle => {
      if (name === RUNTIME_LIBRARY) return lib;
      const h = handles.get(name);
      if (h) return h;
      if (!Object.hasOwn(m.def.requires ?? {}, name) && !Object.hasOwn(m.def.provides ?? {}, name)) {
        throw grocketdError("GRK_ERR_LIBRARY", "undeclared", { module: m.def.name, file: m.file, library: name });
      }
      const made = this.objects.handle(name);
      handles.set(name, made);
      return made;
    };
    const push = this.opts.push ?? NO_PUSH;
    const ctx: HookContext = Object.freeze({
      role,
      index,
      config,
      log,
      moduleConfig: config.modules[m.def.name] ?? {},
      grocketd: lib,
      send: (id: number, data: PushData) => push.send(id, data),
      publish: (topic: string, data: PushData, options?: PublishOptions) => push.publish(topic, data, options?.except ?? -1),
      require: require as HookContext["require"],
    });
    this.contexts.set(m, ctx);
    return ctx;
  }

  /** Calls every `init` in dependency order. `where` ("the master", "thread 2") goes into the error message. */
  async init(where: string): Promise<void> {
    for (const m of this.order) {
      if (this.inited.includes(m)) continue;
      try {
        await m.def.init?.(this.context(m));
      } catch (err) {
        throw grocketdError("GRK_ERR_MODULE_HOOK", "init", { module: m.def.name, file: m.file, where, reason: describeError(err) }, { cause: err });
      }
      this.inited.push(m);
    }
  }

  /**
   * Calls `term` of every module whose `init` succeeded, in reverse order, releasing each provider's singletons
   * right after its `term`. Failures are logged; the rest still run.
   */
  async term(): Promise<void> {
    const { log } = this.opts;
    const onRelease = (library: string, className: string, error: string) =>
      log.error("release failed", { module: this.providerOf.get(library), library, class: className, error });
    for (const m of this.inited.splice(0).reverse()) {
      try {
        await m.def.term?.(this.context(m));
      } catch (err) {
        log.error("term failed", { module: m.def.name, error: describeError(err) });
      }
      this.objects.release(Object.keys(m.def.provides ?? {}), onRelease);
    }
    // Singletons of a module whose init failed, or made by a failed start.
    this.objects.release([...this.providerOf.keys()], onRelease);
    const counters = this.counters.snapshot();
    if (Object.keys(counters).length > 0) log.debug("counters", counters);
  }
}
