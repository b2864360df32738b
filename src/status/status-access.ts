/**
 * @module status/status-access
 * Who may use the status listener. A web page the operator has open can make the browser send requests to it (a
 * cross-origin `text/plain` POST needs no preflight; DNS rebinding makes a foreign name resolve to 127.0.0.1), so:
 * - the `Host` header must name the listener itself: its own host:port, and on loopback also 127.0.0.1, localhost
 *   and [::1] with that port; on a wildcard address (0.0.0.0, ::) any address of this machine's interfaces;
 * - an `Origin` header, when present, must be `http://` + one of those hosts (browsers send it on every cross-origin
 *   request and on every POST);
 * - `status.token`, when set, is a bearer token (`Authorization: Bearer <token>`) required for POST endpoints, and
 *   for every endpoint when the listener is not on loopback, where it is mandatory (config/status-check.ts).
 * Tokens are compared in constant time: both sides are hashed to 32 bytes and compared with timingSafeEqual, so
 * neither the length nor a matching prefix shows in the time taken.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { networkInterfaces } from "node:os";
import { isLoopbackHost } from "../config/status-check.ts";

export interface AccessPolicy {
  /** Lower-case `host:port` values (and the bare host when the port is 80) a request may name. */
  readonly hosts: ReadonlySet<string>;
  /** "" = no token. */
  readonly token: string;
  /** True when the listener is not on loopback: every endpoint needs the token. */
  readonly tokenForAll: boolean;
}

function hostPort(host: string, port: number): string[] {
  const h = host.includes(":") ? `[${host.toLowerCase()}]` : host.toLowerCase();
  return port === 80 ? [`${h}:80`, h] : [`${h}:${port}`];
}

/** The policy for a listener bound to `hostname` (as parsed, without brackets) on `port` (the actual port). */
export function accessPolicy(hostname: string, port: number, token: string): AccessPolicy {
  const names = new Set<string>([hostname]);
  const loopback = isLoopbackHost(hostname);
  if (loopback) for (const n of ["127.0.0.1", "localhost", "::1"]) names.add(n);
  if (hostname === "0.0.0.0" || hostname === "::") {
    names.add("localhost");
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address.replace(/%.*$/, ""));
  }
  const hosts = new Set<string>();
  for (const n of names) for (const h of hostPort(n, port)) hosts.add(h);
  return { hosts, token, tokenForAll: !loopback };
}

/** True when `given` equals `want`, in time that depends on neither. */
export function tokenMatches(given: string, want: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(want).digest();
  return timingSafeEqual(a, b) && want !== "";
}

const NO_STORE = { "Cache-Control": "no-store" };

/** Null when `req` may go on; otherwise the 403 or 401 answer that refuses it. */
export function refusal(policy: AccessPolicy, req: Request): Response | null {
  const host = req.headers.get("host")?.toLowerCase();
  if (host === undefined || !policy.hosts.has(host)) {
    return new Response(`forbidden: the Host header must name this status listener (got ${host === undefined ? "none" : JSON.stringify(host)})\n`, { status: 403, headers: NO_STORE });
  }
  const origin = req.headers.get("origin");
  if (origin !== null && !(origin.toLowerCase().startsWith("http://") && policy.hosts.has(origin.slice(7).toLowerCase()))) {
    return new Response("forbidden: cross-origin requests are refused\n", { status: 403, headers: NO_STORE });
  }
  const write = req.method !== "GET" && req.method !== "HEAD";
  if (policy.token !== "" && (write || policy.tokenForAll)) {
    const auth = req.headers.get("authorization") ?? "";
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m === null || !tokenMatches(m[1]!, policy.token)) {
      return new Response(`unauthorized: ${m === null ? "this endpoint needs" : "wrong"} status.token (Authorization: Bearer <token>)\n`, {
        status: 401,
        headers: { "WWW-Authenticate": 'Bearer realm="grocketd"', ...NO_STORE },
      });
    }
  }
  return null;
}
