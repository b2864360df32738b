/**
 * @module grocketd
 * What module authors import: `defineModule` and the types of the hooks' arguments.
 *
 * @example
 * ```ts
 * import { defineModule } from "grocketd";
 * export default defineModule({ name: "hi", version: "1.0.0", grocketd: "^0.1.0", proc: () => "hi\n" });
 * ```
 */
export { defineModule, type GrocketdModule } from "./module/define-module.ts";
export type { Conn, HookContext, ModuleDefinition, Protocol, Reply, Role } from "./module/types.ts";
export type { Config, ConfigLayer } from "./config/keys.ts";
export type { Logger, LogLevel } from "./log/logger.ts";
export { API_VERSION, VERSION } from "./version.ts";
export { staticResponse, type StaticResponse, type StaticResponseInit } from "./http/static-response.ts";
export type { HttpHeaders, HttpRequest, HttpResponse, HttpResult } from "./http/http-types.ts";
