/**
 * @module config/status-check
 * Start-up check of the status listener's exposure: on an address other than loopback, anyone on the network can
 * reach it, so it is refused without `status.token` (status/status-access.ts then requires the token on every
 * endpoint). Run by the start plan (so `--check` and a reload report it) and by the listener itself.
 */
import type { Config } from "./keys.ts";
import { parseListenUrl } from "./listen-url.ts";

/** 127.0.0.0/8, ::1 and localhost: reachable only from this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1";
}

/** The message refusing `status.listen` as configured, or null when it may start. */
export function statusListenProblem(config: Config): string | null {
  const url = config.status.listen;
  if (url === "" || config.status.token !== "") return null;
  const entry = parseListenUrl(url);
  if (typeof entry === "string" || isLoopbackHost(entry.hostname)) return null;
  return `status.listen = ${JSON.stringify(url)} is not a loopback address, so status.token must be set (a bearer token of at least 16 characters, [status] token = "..." or GROCKETD_STATUS_TOKEN; e.g. from \`openssl rand -hex 32\`), or listen on 127.0.0.1`;
}
