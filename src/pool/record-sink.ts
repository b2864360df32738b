/**
 * @module pool/record-sink
 * Where a response goes on a handler thread: HTTP_RES records back to the I/O thread that owns the connection
 * (pool-protocol.ts), which writes them to the wire as it writes an inline response (http/wire-response.ts). Whole
 * (R_WHOLE), or streamed (R_CHUNK ... R_END) with a window of two unacknowledged chunks, so a slow client slows the
 * handler down instead of filling the I/O thread's memory; a body larger than one record is streamed. A failure is
 * marked on the next record (R_FAIL: counted where the connection lives); R_CUT and R_DROP end a response without
 * an answer.
 */
import type { ResponseSink } from "../http/response.ts";
import type { StaticResponse } from "../http/static-response.ts";
import { R_CHUNK, R_CUT, R_DROP, R_END, R_FAIL, R_WHOLE, type PoolResponse } from "./pool-protocol.ts";
import type { PooledConn, ResponseInProgress } from "./pooled-conn.ts";

/** Sends one response record back to the I/O thread (flags say whole/chunk/end). */
export type EmitResponse = (flags: number, r: PoolResponse) => void;

const EMPTY = new Uint8Array(0);
/** Streamed chunks that may be on their way to the client before write() says "wait". */
const WINDOW = 2;

const bytesOf = (b: string | Uint8Array): Uint8Array => (typeof b === "string" ? Buffer.from(b, "utf8") : b);

export class RecordSink implements ResponseSink, ResponseInProgress {
  private unacked = 0;
  private waiters: Array<() => void> = [];
  /** R_FAIL until the next record goes: a handler error for the I/O thread to count. */
  private failFlag = 0;
  /** The record that ends the response went. */
  private ended = false;

  constructor(
    private readonly emit: EmitResponse,
    private readonly conn: PooledConn,
    private readonly onFinished: () => void,
    /** The largest body one record may carry; larger whole bodies are streamed. */
    private readonly maxBody: number,
  ) {}

  private record(flags: number, status: number, lines: string, body: Uint8Array): void {
    const f = this.failFlag;
    this.failFlag = 0;
    this.emit(flags | f, { status, lines, body });
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.conn.response === this) this.conn.response = null;
    this.onFinished();
  }

  /** The handler failed: the next record says so. */
  failed(): void {
    this.failFlag = R_FAIL;
  }

  whole(status: number, lines: string, body: string | Uint8Array): void {
    const bytes = bytesOf(body);
    if (bytes.length > this.maxBody) return this.stream(status, lines, bytes, true);
    this.record(R_WHOLE, status, lines, bytes);
    this.finish();
  }

  wholeStatic(body: StaticResponse): void {
    this.whole(body.status, body.headerLines, body.body);
  }

  stream(status: number, lines: string, body: string | Uint8Array, last: boolean): void {
    const bytes = bytesOf(body);
    // An empty write still sends the head; an empty end only ends.
    if (!last || bytes.length > 0) {
      const max = this.maxBody;
      for (let off = 0; off < bytes.length || off === 0; off += max) {
        this.unacked++;
        this.record(R_CHUNK, status, lines, bytes.subarray(off, off + max));
        if (bytes.length === 0) break;
      }
    }
    if (!last) return;
    this.record(R_END, status, lines, EMPTY);
    this.finish();
  }

  get congested(): boolean {
    return this.unacked >= WINDOW;
  }

  waitDrained(): Promise<void> {
    if (this.unacked < WINDOW) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  askClose(): void {
    this.conn.closeRequested = true;
  }

  /** The handler failed mid-stream: the I/O thread cuts the connection. */
  cut(): void {
    if (this.ended) return;
    this.record(R_CUT, 0, "", EMPTY);
    this.finish();
  }

  /** proc dropped the connection (binary over HTTP): no answer, the I/O thread drops it. */
  dropped(): void {
    this.record(R_DROP, 200, "", EMPTY);
    this.finish();
  }

  /** The I/O thread has put one chunk on the wire (or the connection is gone). */
  ack(): void {
    if (this.unacked > 0) this.unacked--;
    if (this.unacked < WINDOW) for (const w of this.waiters.splice(0)) w();
  }

  /** The client is gone: release anyone waiting in drained(). */
  abort(): void {
    this.unacked = 0;
    for (const w of this.waiters.splice(0)) w();
  }
}
