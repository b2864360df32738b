/**
 * @module io/tcp/tcp-framing
 * The TCP read path: cut the byte stream into packets with the module's `check`, hand each to the module's backend
 * (io/backend.ts: its `proc` inline, or a handler thread), and cork the replies into one write per read event.
 * Every whole packet in a read is answered (the original cut one per event). Rules that keep this fast (docs/platform-notes.md, "Viewing a socket chunk"):
 * - never take a view of the chunk Bun hands to `data` (its first view costs ~0.4 µs): a chunk that is exactly one
 *   packet is passed on as it is; otherwise it is copied once into the thread's input buffer and views are taken of
 *   that;
 * - `check` gets offsets, not a fresh view per call;
 * - bytes of a packet split across reads are appended to a per-connection buffer; nothing is copied when a read
 *   leaves no bytes over.
 * When a `proc` returns a Promise, the buffer its packet lives in is "loaned" to it and replaced, never overwritten.
 * Statistics cost one increment per read event (bytes in) and one per packet, on the thread and on the connection.
 */
import type { ModuleBackend } from "../backend.ts";
import type { Conn } from "../../module/types.ts";
import { badLengthMessage, isLength } from "../../module/hook-results.ts";
import { MAX_INFLIGHT, type TcpConnection } from "./tcp-connection.ts";
import { appendKept, keepRest } from "./kept-input.ts";

/** The module's `check` (module/types.ts): the connection is the `Conn` it sees. */
type Check = (buf: Uint8Array, start: number, end: number, conn: Conn<unknown>) => number;

/**
 * Returns the `data` handler for one listener. The hook and the backend are bound once, so each call site sees one
 * function and one backend class (the thread has one backend: inline or pool).
 */
export function createDataHandler(checkHook: unknown, backend: ModuleBackend, maxPacket: number, highWater: number) {
  const check = checkHook as Check | undefined;

  /** Frames buf[off..end) (first packet length already known when `known` >= 0); returns where framing stopped. */
  function frame(c: TcpConnection, buf: Uint8Array, off: number, end: number, known: number): number {
    for (;;) {
      const avail = end - off;
      let n = known;
      known = -1;
      if (n < 0) {
        if (check === undefined) n = avail;
        else {
          try {
            n = check(buf, off, end, c);
          } catch (err) {
            c.fail("check threw (bad data); closing connection", err);
            return end;
          }
          if (!isLength(n)) {
            c.fail(`${badLengthMessage(n)}; closing connection`);
            return end;
          }
        }
      }
      if (n === 0 || n > avail) {
        if (n > maxPacket) {
          c.fail(`packet of ${n} bytes is larger than io.max_packet (${maxPacket}); closing connection`);
          return end;
        }
        return off;
      }
      if (!(n > 0)) {
        c.fail(`check reported bad data (${n}); closing connection`);
        return end;
      }
      if (n > maxPacket) {
        c.fail(`packet of ${n} bytes is larger than io.max_packet (${maxPacket}); closing connection`);
        return end;
      }
      const io = c.io;
      const packet = buf === io.inBuf ? io.packetView(off, n) : off === 0 && n === buf.length ? buf : buf.subarray(off, off + n);
      // The backend routes its reply. Called here, not through a helper: the JIT inlines only a few calls deep, and
      // proc's reply reaches the cork four calls below this one (backend, hook call, reply target, connection).
      c.countPacket();
      backend.packet(c, packet, buf, off, n);
      off += n;
      if (off === end) return off;
      if (c.stopReading) return end;
      const line = c.lineRead;
      if (io.cork.size + c.queuedBytes + line.heldBytes > highWater || line.owed >= MAX_INFLIGHT) {
        // One read can hold thousands of packets: stop answering once this event's output, with what is still queued
        // from earlier events and what waits behind a pending reply, passes the high-water mark, or once too many
        // replies are owed; the rest waits in the pending buffer and is framed again when the client has read
        // (onDrain) or the line has moved (flushSettled). So what is held stays under high water plus one reply.
        c.backlogged = true;
        return off;
      }
    }
  }

  /** Keeps buf[off..end) for the next read (kept-input.ts), unless that is io.max_packet bytes without a whole packet. */
  function keepOrFail(c: TcpConnection, buf: Uint8Array, off: number, end: number): void {
    const rest = end - off;
    if (rest !== 0 && rest >= maxPacket && !c.backlogged) {
      c.fail(`more than io.max_packet (${maxPacket}) bytes without a whole packet; closing connection`);
      return;
    }
    keepRest(c, buf, off, end);
  }

  /** Frames bytes left pending by a backlogged event, once the output has drained (no new read involved). */
  function frameBacklog(c: TcpConnection): void {
    if (c.stopReading || c.closed) return;
    c.backlogged = false;
    if (c.keptLen === 0) {
      c.backlogCleared();
      return c.afterEvent();
    }
    c.io.events++;
    c.inEvent = true;
    const buf = c.keptInput!;
    const end = c.keptLen;
    const off = frame(c, buf, 0, end, -1);
    c.inEvent = false;
    if (c.io.loaned) c.line.chargeLoan(buf.length);
    c.endEvent();
    if (!c.closed && !c.stopReading) keepOrFail(c, buf, off, end);
    c.io.loaned = false;
    if (c.backlogged) c.continueBacklog();
    else c.backlogCleared();
    c.afterEvent();
  }

  function onData(c: TcpConnection, chunk: Uint8Array): void {
    if (c.stopReading) return;
    const io = c.io;
    c.lastActive = io.clock;
    c.inEvent = true;
    const len = chunk.length;
    c.countIn(len);
    let buf: Uint8Array;
    let off: number;
    let end: number;
    if (c.keptLen === 0) {
      let n: number;
      if (check === undefined) n = len;
      else {
        try {
          n = check(chunk, 0, len, c);
        } catch (err) {
          n = -1;
          c.fail("check threw (bad data); closing connection", err);
        }
      }
      if (n === len) {
        // The common case: one read, one packet. No copy, no view.
        c.countPacket();
        backend.packet(c, chunk, chunk, 0, len);
        c.inEvent = false;
        if (io.loaned) {
          c.line.chargeLoan(len); // the chunk is the packet an async proc holds
          io.loaned = false;
        }
        c.endEvent();
        return;
      }
      if (!isLength(n) || n < 0) {
        if (!c.dropping) c.fail(isLength(n) ? `check reported bad data (${n}); closing connection` : `${badLengthMessage(n)}; closing connection`);
        c.inEvent = false;
        c.endEvent();
        return;
      }
      if (n === 0 || n > len) {
        // Not even one whole packet yet: keep the bytes for the next read.
        if (n > maxPacket) c.fail(`packet of ${n} bytes is larger than io.max_packet (${maxPacket}); closing connection`);
        else {
          const p = c.keptInput !== null && c.keptInput.length >= len ? c.keptInput : Buffer.allocUnsafeSlow(Math.max(4096, len * 2));
          p.set(chunk, 0);
          c.keptInput = p;
          c.keptLen = len;
          if (len >= maxPacket) c.fail(`more than io.max_packet (${maxPacket}) bytes without a whole packet; closing connection`);
        }
        c.inEvent = false;
        c.endEvent();
        return;
      }
      buf = io.inBuf.length >= len ? io.inBuf : io.replaceInBuf(len);
      buf.set(chunk, 0);
      end = len;
      off = frame(c, buf, 0, len, n);
    } else {
      end = c.keptLen + len;
      buf = appendKept(c, chunk);
      off = frame(c, buf, 0, end, -1);
    }
    c.inEvent = false;
    if (io.loaned) c.line.chargeLoan(buf.length); // async procs hold views of buf: it lives until they settle
    c.endEvent();
    if (!c.closed && !c.stopReading) keepOrFail(c, buf, off, end);
    else {
      c.keptLen = 0;
      c.keptInput = null;
    }
    if (io.loaned) {
      // An async proc holds a view into this buffer: give the thread a fresh one rather than overwrite it.
      if (buf === io.inBuf) io.replaceInBuf(0);
      io.loaned = false;
    }
    if (c.backlogged) c.continueBacklog();
    if (c.finishPacketThenStop) c.afterEvent();
  }

  return { onData, frameBacklog };
}
