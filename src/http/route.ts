/**
 * @module http/route
 * Which part of a module answers a request: binary over HTTP (a POST to the listener's binary path, `?binary=` or
 * `http.binary_path`, on a module with `proc`), its `http` or `fetch` hook, or nobody. Decided on the I/O thread,
 * which knows the listener; in pool mode the route crosses to the handler thread with the request.
 */
import type { ModuleDefinition } from "../module/types.ts";

export const ROUTE_HOOK = 0;
export const ROUTE_BINARY = 1;
/** The binary path with another method: 405 with `Allow: POST` (RFC 9110 §15.5.6). */
export const ROUTE_BINARY_METHOD = 2;
export const ROUTE_NOT_FOUND = 3;

export function routeOf(def: ModuleDefinition<unknown>, binaryPath: string, req: { readonly method: string; readonly path: string }): number {
  // The path is decoded only for modules that have a binary path to compare it with.
  if (binaryPath !== "" && def.proc !== undefined && req.path === binaryPath) return req.method === "POST" ? ROUTE_BINARY : ROUTE_BINARY_METHOD;
  return def.http === undefined && def.fetch === undefined ? ROUTE_NOT_FOUND : ROUTE_HOOK;
}
