/**
 * @module master/start-plan
 * Everything decided before a thread starts or a port opens: the merged, validated configuration, the loaded and
 * validated modules, and which module serves which listen entry. Problems from every source are gathered and
 * reported together, so one `--check` run shows all of them.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { grocketdError, isGrocketdError, describeError } from "../errors.ts";
import type { CliOptions } from "../cli/args.ts";
import type { Config, ConfigLayer } from "../config/keys.ts";
import { checkSource, envSource, mergeLayers, readConfigFile, type ConfigSource, type FileSource } from "../config/load-config.ts";
import { innerProtocol, parseListenUrl, type ListenEntry } from "../config/listen-url.ts";
import { resolveModuleSections, type SectionSource } from "../config/module-sections.ts";
import { loadModulesReport, type LoadedModule } from "../module/load-module.ts";
import { resolveModules } from "../module/module-runtime.ts";
import type { Binding } from "../module/binding.ts";
import { entryPath } from "../entry-path.ts";
import { checkTlsFiles } from "../config/tls-check.ts";
import { statusListenProblem } from "../config/status-check.ts";
import { checkPoolFit } from "../pool/pool-fit.ts";
import { llhttpModuleAsync } from "../http/llhttp/wasm-loader.ts";
import { configKeys } from "../config/keys.ts";

/** The demo served when no module is named; embedded in the single binary too (entry-path.ts). */
export const BUNDLED_MODULE = entryPath("modules/echo.ts");

export interface StartPlan {
  readonly config: Config;
  /** In configuration order (as listed); see initOrder for the order of `init`. */
  readonly modules: readonly LoadedModule[];
  /** Providers before the modules that require their libraries. */
  readonly initOrder: readonly LoadedModule[];
  readonly bindings: readonly Binding[];
  /** io.threads with 0 resolved to the core count. */
  readonly threads: number;
  readonly configFile: string | undefined;
}

const flagOf: Record<string, string> = { "server.listen": "--listen", "server.modules": "--module", "io.threads": "--threads" };

function flagSource(cli: CliOptions, cwd: string): ConfigSource {
  const raw: Record<string, Record<string, unknown>> = {};
  if (cli.listen.length > 0) (raw.server ??= {}).listen = cli.listen;
  if (cli.modules.length > 0) (raw.server ??= {}).modules = cli.modules.map((m) => resolve(cwd, m));
  if (cli.threads !== undefined) (raw.io ??= {}).threads = /^\s*-?\d+\s*$/.test(cli.threads) ? Number(cli.threads) : cli.threads;
  return { raw, where: (key) => `flag ${flagOf[key.replace(/\[\d+\]$/, "")] ?? "?"}` };
}

/** What the plan checks beyond config and modules; replaceable in tests. */
export interface PlanChecks {
  /** Verifies the installed llhttp WASM binary (SHA-256, imports, exports); throws with package, version, expected and actual. */
  httpParser(): void | Promise<void>;
  /** Starts that work early, when the config's listen entries say it will be needed (its outcome is httpParser's). */
  prepareHttpParser?(): void;
}

const ignore = (): void => {};
const DEFAULT_CHECKS: PlanChecks = {
  httpParser: () => llhttpModuleAsync().then(ignore),
  prepareHttpParser: () => void llhttpModuleAsync().catch(ignore),
};

/** Whether any of these listen URLs is served over HTTP (and so needs llhttp). */
function needsHttp(listen: readonly string[]): boolean {
  return listen.some((u) => {
    const e = parseListenUrl(u);
    return typeof e !== "string" && innerProtocol(e.protocol) === "http";
  });
}

export async function buildStartPlan(cli: CliOptions, env: Record<string, string | undefined>, cwd: string, checks: PlanChecks = DEFAULT_CHECKS): Promise<StartPlan> {
  const problems: string[] = [];

  // 1. Sources that do not depend on the modules.
  let configFile = cli.config ?? env.GROCKETD_CONFIG;
  if (configFile === undefined && existsSync(resolve(cwd, "grocketd.toml"))) configFile = "grocketd.toml";
  let fileLayer: ConfigLayer = {};
  let fileSource: FileSource | undefined;
  if (configFile !== undefined) {
    configFile = resolve(cwd, configFile);
    try {
      fileSource = readConfigFile(configFile);
      const checked = checkSource(fileSource);
      fileLayer = checked.layer;
      problems.push(...checked.problems);
    } catch (err) {
      problems.push(isGrocketdError(err) ? err.message : describeError(err));
    }
  }
  const envSrc = envSource(env);
  problems.push(...envSrc.problems);
  const envChecked = checkSource(envSrc.source);
  problems.push(...envChecked.problems);
  const flagChecked = checkSource(flagSource(cli, cwd));
  problems.push(...flagChecked.problems);
  // llhttp compiles off this thread while the modules load (a module's config() may still add HTTP: step 7 waits).
  const listen = flagChecked.layer.server?.listen ?? envChecked.layer.server?.listen ?? fileLayer.server?.listen ?? configKeys.server.listen.default;
  if (needsHttp(listen)) checks.prepareHttpParser?.();

  // 2. The modules, named by the highest source that names any.
  const named = flagChecked.layer.server?.modules ?? envChecked.layer.server?.modules ?? fileLayer.server?.modules;
  const paths = named && named.length > 0 ? named.map((p) => resolve(cwd, p)) : [BUNDLED_MODULE];
  // The modules that load go on to library resolution even when others do not, so one run reports everything.
  const loaded = await loadModulesReport(paths);
  const modules: LoadedModule[] = loaded.modules;
  problems.push(...loaded.problems);

  // 3. Libraries: every missing, out-of-range, duplicate or circular requirement, all at once.
  let initOrder: LoadedModule[] = modules;
  const resolution = resolveModules(modules);
  if (resolution.ok) initOrder = resolution.order.map((i) => modules[i]!);
  else problems.push(...resolution.problems);

  // 4. Module config() layers sit between the defaults and the file.
  const moduleLayers: ConfigLayer[] = [];
  const sectionSources: SectionSource[] = [];
  for (const m of modules) {
    if (!m.def.config) continue;
    const where = `module ${m.def.name} config() (${m.file})`;
    let raw: unknown;
    try {
      raw = m.def.config();
    } catch (err) {
      problems.push(`${where}: threw: ${describeError(err)}`);
      continue;
    }
    const checked = checkSource({ raw, where: () => where });
    problems.push(...checked.problems);
    if (checked.layer.server?.modules !== undefined) problems.push(`${where}: server.modules: a module cannot choose the modules`);
    moduleLayers.push(checked.layer);
    sectionSources.push({ sections: checked.layer.modules, where: () => where });
  }
  const config = mergeLayers([...moduleLayers, fileLayer, envChecked.layer, flagChecked.layer]);

  // 5. Modules' own sections [modules.<name>], judged by each module's configSchema.
  if (fileSource) sectionSources.push({ sections: fileLayer.modules, where: (key) => fileSource.where(key) });
  const owners = modules.map((m) => ({ name: m.def.name, file: m.file, schema: m.def.configSchema }));
  const moduleSections = resolveModuleSections(owners, sectionSources);
  config.modules = moduleSections.sections;
  problems.push(...moduleSections.problems);

  // 5b. TLS certificate files, when a tls:// or https:// entry is listed (paths become absolute for the threads).
  const tlsSources = [{ layer: envChecked.layer, where: envSrc.source.where }];
  if (fileSource) tlsSources.push({ layer: fileLayer, where: (key: string) => fileSource.where(key) });
  problems.push(...checkTlsFiles(config, cwd, tlsSources));
  const statusProblem = statusListenProblem(config);
  if (statusProblem !== null) problems.push(statusProblem);

  // 6. Who serves what.
  const bindings: Binding[] = [];
  if (modules.length > 0) {
    for (const url of config.server.listen) {
      const entry = parseListenUrl(url);
      if (typeof entry === "string") continue; // already reported by the schema
      const b = bind(entry, modules);
      if (typeof b === "string") problems.push(`server.listen: ${url}: ${b}`);
      else bindings.push(b);
    }
  }

  // 6b. Pool mode: the largest packet and request must fit one ring record.
  const stream = bindings.some((b) => b.entry.protocol === "tcp" || b.entry.protocol === "tls" || b.entry.ws !== undefined);
  const http = bindings.find((b) => innerProtocol(b.entry.protocol) === "http");
  problems.push(...checkPoolFit(config, stream, http !== undefined));
  if (config.io.max_buffered < config.io.high_water) {
    problems.push(`io.max_buffered = ${config.io.max_buffered} is below io.high_water = ${config.io.high_water}; it must be at least that`);
  }

  // 7. The HTTP parser is checked here, before any thread starts (and by --check), not at the first request.
  if (http !== undefined) {
    try {
      await checks.httpParser();
    } catch (err) {
      problems.push(`server.listen: ${http.entry.url} needs the llhttp parser: ${describeError(err)}`);
    }
  }

  if (problems.length > 0) {
    throw grocketdError("GRK_ERR_CONFIG", "problems", { problems });
  }
  const threads = config.io.threads === 0 ? availableParallelism() : config.io.threads;
  return { config, modules, initOrder, bindings, threads, configFile };
}

/** tcp:// and tls:// need proc; http:// and https:// need http, or proc for binary over HTTP. */
function canServe(m: LoadedModule, entry: ListenEntry): boolean {
  // WebSocket messages are packets for proc (ws://, wss://, and ?ws= on an HTTP entry).
  if (entry.ws !== undefined && typeof m.def.proc !== "function") return false;
  if (innerProtocol(entry.protocol) === "http") return typeof m.def.http === "function" || typeof m.def.fetch === "function" || typeof m.def.proc === "function";
  return typeof m.def.proc === "function";
}

function needs(entry: ListenEntry): string {
  if (entry.ws !== undefined) return "a proc hook, for WebSocket messages";
  return innerProtocol(entry.protocol) === "http" ? "an http, fetch or proc hook" : "a proc hook";
}

function bind(entry: ListenEntry, modules: readonly LoadedModule[]): Binding | string {
  if (entry.module !== undefined) {
    const m = modules.find((x) => x.def.name === entry.module);
    if (!m) return `no loaded module is named "${entry.module}" (loaded: ${modules.map((x) => x.def.name).join(", ")})`;
    if (!canServe(m, entry)) return `module "${m.def.name}" cannot serve ${entry.protocol}:// (it needs ${needs(entry)})`;
    return { entry, module: m.def.name };
  }
  const able = modules.filter((m) => canServe(m, entry));
  if (able.length === 1) return { entry, module: able[0]!.def.name };
  if (able.length === 0) return `no loaded module can serve ${entry.protocol}:// (it needs ${needs(entry)})`;
  return `several modules can serve it (${able.map((m) => m.def.name).join(", ")}); add ?module=<name> to the URL`;
}
