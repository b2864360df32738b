/**
 * @module http/body-stream
 * A `fetch` hook's request body as a ReadableStream fed as the bytes arrive (http-connection.ts dispatches the hook
 * at the end of the head). Each piece llhttp hands over is copied out of the parser's (shared WASM) memory before it
 * is enqueued: the stream's chunks outlive the read event. The queue is bounded by `highWater` bytes: once it is full
 * the connection stops reading the socket (`full` → true) and reads again when the hook pulls (`onPull`). In pool
 * mode the same stream is fed on the handler thread from BODY records (pool/pool-body.ts), and `queued` tells how
 * much the hook has read, which goes back to the I/O thread as credit.
 */

export class BodyStream {
  readonly stream: ReadableStream<Uint8Array>;
  private ctl: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** Closed, errored, cancelled by the reader, or given up: later pieces are dropped. */
  done = false;
  /** Bytes of body received so far (the connection checks http.max_body_bytes against it). */
  received = 0;

  constructor(
    private readonly highWater: number,
    onPull: () => void,
  ) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.ctl = c;
        },
        pull: onPull,
        cancel: () => {
          // The hook does not want the rest: it is read and dropped, so the connection can go on.
          this.done = true;
          onPull();
        },
      },
      { highWaterMark: highWater, size: (c: Uint8Array | undefined) => c?.byteLength ?? 0 },
    );
  }

  /** Copies buf[start..end) into the stream. */
  push(buf: Uint8Array, start: number, end: number): void {
    this.received += end - start;
    // A copy, never a view: `buf` may be a Buffer, whose slice() is a view of the parser's memory.
    if (!this.done) this.ctl!.enqueue(new Uint8Array(buf.subarray(start, end)));
  }

  /** The reader is behind: the queue holds highWater bytes or more. */
  get full(): boolean {
    return !this.done && (this.ctl!.desiredSize ?? 1) <= 0;
  }

  /** Bytes enqueued and not read yet (0 once done). */
  get queued(): number {
    return this.done ? 0 : this.highWater - (this.ctl!.desiredSize ?? this.highWater);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.ctl!.close();
  }

  error(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.ctl!.error(err);
  }
}
