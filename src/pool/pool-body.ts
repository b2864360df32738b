/**
 * @module pool/pool-body
 * A `fetch` hook's request body streamed to its handler thread in pool mode, both ends. On the I/O thread,
 * PoolBodyFeed is the connection's body feed (http/http-backend.ts RequestBodyFeed): each piece llhttp hands over
 * goes into the ring as a BODY record (copied there straight from the parser's memory), then BODY_END, or
 * BODY_ABORT with the error when the body will not complete (the client left, the body was refused, the response
 * went out first). On the handler thread, PoolBodyIn feeds those pieces to the hook's ReadableStream
 * (http/body-stream.ts, the same stream as inline) and sends back BODY_CREDIT records as the hook reads.
 *
 * Flow control is a credit window per request: the I/O thread has at most `window` bytes of a body sent and not yet
 * read by the hook (plus the read in progress when it fills); past that the feed is `full` and the connection stops
 * reading the socket (as inline, http/http-body-side.ts) until credit comes back. Not "pause while the ring is full":
 * the ring is shared by every connection of the I/O thread pinned to that handler thread, so one hook that does not
 * read its upload would fill it and stall all of them, and the ring's backlog (ring-link.ts) would hold the rest of
 * that upload in the I/O thread's memory. With credit, a slow hook stops only its own client, and a body costs at
 * most one window in the ring and in the hook's stream, whatever its size (http.max_body_bytes still bounds it).
 * Credit is returned in batches (a quarter window, or whenever the stream's queue is empty, which is when a reader
 * may be waiting), so a steady upload costs about one BODY_CREDIT record per quarter window.
 */
import { errorFromWire, errorToWire, misuse } from "../errors.ts";
import type { RequestBodyFeed } from "../http/http-backend.ts";
import { BodyStream } from "../http/body-stream.ts";
import { K_BODY, K_BODY_ABORT, K_BODY_CREDIT, K_BODY_END } from "./pool-protocol.ts";
import type { RingLink } from "./ring-link.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The credit window of one request body: io.high_water, but at most a quarter of a ring record's room. */
export function bodyWindow(highWater: number, maxPayload: number): number {
  return Math.max(1024, Math.min(highWater, maxPayload >>> 2));
}

/** The I/O thread's end: the connection's body feed (session: its number and link). */
export class PoolBodyFeed implements RequestBodyFeed {
  readonly stream = null;
  received = 0;
  /** Closed, failed, or given up: later pieces are counted and dropped. */
  done = false;
  /** Bytes sent and not credited back (read by the hook) yet. */
  private inFlight = 0;

  constructor(
    private readonly link: RingLink,
    private readonly no: number,
    /** The request's sequence number: credit for an earlier body is ignored. */
    readonly seq: number,
    private readonly window: number,
    private readonly onPull: () => void,
  ) {}

  push(buf: Uint8Array, start: number, end: number): void {
    this.received += end - start;
    if (this.done) return;
    this.inFlight += end - start;
    const max = this.link.maxPayload;
    for (let off = start; off < end; off += max) this.link.send(K_BODY, this.no, this.seq, 0, buf, off, Math.min(max, end - off));
  }

  get full(): boolean {
    return !this.done && this.inFlight >= this.window;
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.link.send(K_BODY_END, this.no, this.seq, 0);
  }

  error(err: Error): void {
    if (this.done) return;
    this.done = true;
    const msg = enc.encode(errorToWire(err, 4096));
    this.link.send(K_BODY_ABORT, this.no, this.seq, 0, msg, 0, msg.length);
  }

  /** BODY_CREDIT: the hook read `n` more bytes. */
  credit(seq: number, n: number): void {
    if (seq !== this.seq || this.done) return;
    const was = this.full;
    this.inFlight -= n;
    if (was && !this.full) this.onPull();
  }
}

/** The handler thread's end: the hook's body stream, fed from BODY records, and the credit it returns. */
export class PoolBodyIn {
  readonly body: BodyStream;
  /** Bytes of body credited back so far. */
  private credited = 0;

  constructor(
    private readonly link: RingLink,
    private readonly no: number,
    readonly seq: number,
    private readonly window: number,
  ) {
    this.body = new BodyStream(window, () => this.pulled());
  }

  /** A BODY record; `bytes[off..off+len)` is ring memory (the stream copies it). */
  push(bytes: Uint8Array, off: number, len: number): void {
    this.body.push(bytes, off, off + len);
    // Cancelled by the hook: what still comes is dropped, and credited at once so the I/O thread reads it away.
    if (this.body.done) this.pulled();
  }

  end(): void {
    this.body.close();
  }

  /** BODY_ABORT (payload: the error), or the connection is gone. */
  abort(bytes: Uint8Array | null, off = 0, len = 0): void {
    this.body.error(bytes === null ? misuse(Error, "GRK_ERR_REQUEST_BODY", "closed", {}) : errorFromWire(dec.decode(bytes.subarray(off, off + len))));
  }

  /** The hook read (the stream pulls): credit what left the stream's queue, in batches. */
  private pulled(): void {
    const s = this.body;
    const queued = s.queued;
    const read = s.received - queued;
    const n = read - this.credited;
    if (n <= 0 || (queued > 0 && n < this.window >>> 2)) return;
    this.credited = read;
    this.link.send(K_BODY_CREDIT, this.no, this.seq, n);
  }
}
