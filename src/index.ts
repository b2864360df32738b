/**
 * @module grocketd
 * What module authors import: `defineModule`, `defineLibrary`, `z` (for a module's `configSchema`) and the types
 * of the hooks' arguments and of library handles.
 *
 * @example
 * ```ts
 * import { defineModule } from "grocketd";
 * export default defineModule({ name: "hi", version: "1.0.0", grocketd: "^0.1.0", proc: () => "hi\n" });
 * ```
 */
export { defineModule, type GrocketdModule } from "./module/define-module.ts";
export type {
  Conn, HookContext, ModuleConfigSchema, ModuleDefinition, Protocol, PublishOptions, PushData, Reply, Role, SendResult,
  WebSocketHooks, WebSocketOffer, WebSocketUpgrade,
} from "./module/types.ts";
export { defineLibrary } from "./module/define-library.ts";
export type {
  ClassDefinition, Counter, CreateArgs, FactoryName, InstanceOf, LibraryDefinition, LibraryHandle, PortInfo, RuntimeLibrary, SingletonName,
} from "./module/library-types.ts";
/** The zod grocketd validates with, for `configSchema` (one copy of zod, whatever the module's own node_modules hold). */
export { z } from "zod";
export type { Config, ConfigLayer } from "./config/keys.ts";
export type { Logger, LogLevel } from "./log/logger.ts";
export { API_VERSION, VERSION } from "./version.ts";
export { staticResponse, type StaticResponse, type StaticResponseInit } from "./http/static-response.ts";
export type { ErrorAnswer, ErrorHook, FetchHook, HttpHeaders, HttpRequest, HttpResponse, HttpResult } from "./module/http-types.ts";
