/**
 * @module io/tcp/kept-input
 * The bytes a read leaves over (a packet or WebSocket frame not whole yet, or whole ones held back by a backlog),
 * kept in a per-connection buffer for the next read: the next chunk is appended in place (the buffer doubles when
 * short), and what is left over is moved down within it rather than copied elsewhere. A buffer an async reply holds a
 * view of (io.loaned) is never written again: the rest goes to a fresh one. One rule for the TCP framing
 * (tcp-framing.ts) and the WebSocket reader (ws/ws-connection.ts).
 */

/** A connection's kept input (io/tcp/tcp-connection.ts), and whether this event's buffer is loaned (io/io-context.ts). */
export interface KeepsInput {
  keptInput: Uint8Array | null;
  keptLen: number;
  readonly io: { readonly loaned: boolean };
}

/** Appends `chunk` after the keptLen (> 0) bytes kept; returns the buffer, which then holds keptLen + chunk.length. */
export function appendKept(c: KeepsInput, chunk: Uint8Array): Uint8Array {
  const need = c.keptLen + chunk.length;
  let p = c.keptInput!;
  if (p.length < need) {
    const grown = Buffer.allocUnsafeSlow(Math.max(need, p.length * 2));
    grown.set(p.subarray(0, c.keptLen), 0);
    c.keptInput = p = grown;
  }
  p.set(chunk, c.keptLen);
  return p;
}

/** Keeps buf[off..end) for the next read. Runs after the cork is written, since corked replies may view buf. */
export function keepRest(c: KeepsInput, buf: Uint8Array, off: number, end: number): void {
  const rest = end - off;
  const loaned = c.io.loaned;
  if (rest === 0) {
    c.keptLen = 0;
    if (loaned && buf === c.keptInput) c.keptInput = null;
    return;
  }
  if (buf === c.keptInput && !loaned) {
    if (off > 0) buf.copyWithin(0, off, end);
  } else {
    let p = c.keptInput;
    if (p === null || p === buf || p.length < rest) p = Buffer.allocUnsafeSlow(Math.max(4096, rest * 2));
    p.set(buf.subarray(off, end), 0);
    c.keptInput = p;
  }
  c.keptLen = rest;
}
