/**
 * @module pool/pool-fit
 * Pool mode sends each TCP/TLS packet, and each whole HTTP request, to its handler thread as one ring record. A
 * record that cannot fit a ring of `worker.ring_bytes` would fail that connection at run time, so the limits that
 * bound those records are checked against the ring size once, at start-up.
 */
import type { Config } from "../config/keys.ts";
import { maxPoolPayload } from "./ring-link.ts";

/** Bytes a request record adds to the head and body it carries (method, target and header lengths, version). */
const REQUEST_OVERHEAD = 64;

/** Problems (one line each, naming the keys and values) when a packet or request could not cross a ring. */
export function checkPoolFit(config: Config, hasStream: boolean, hasHttp: boolean): string[] {
  if (config.worker.disabled) return [];
  const ring = config.worker.ring_bytes;
  const max = maxPoolPayload(ring);
  const out: string[] = [];
  const need = (what: string, n: number) => {
    let size = ring;
    while (maxPoolPayload(size) < n) size *= 2;
    out.push(
      `worker.ring_bytes = ${ring}: a ring record carries at most ${max} bytes, but ${what} needs ${n}; ` +
        `raise worker.ring_bytes to at least ${size} or lower the limit`,
    );
  };
  if (hasStream && config.io.max_packet > max) need(`io.max_packet = ${config.io.max_packet}`, config.io.max_packet);
  const request = config.http.max_head_bytes + config.http.max_body_bytes + REQUEST_OVERHEAD;
  if (hasHttp && request > max) {
    need(`a whole HTTP request (http.max_head_bytes = ${config.http.max_head_bytes} + http.max_body_bytes = ${config.http.max_body_bytes})`, request);
  }
  return out;
}
