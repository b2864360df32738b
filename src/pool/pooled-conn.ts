/**
 * @module pool/pooled-conn
 * A connection as a handler thread sees it: the `Conn` its hooks get (with the state `accept` returned, which lives
 * here, next to the code that uses it), plus the bookkeeping that lets `close` run once, after the last reply.
 */
import type { Conn, Protocol } from "../module/types.ts";
import type { ConnInfo } from "./pool-protocol.ts";

/** What the handler thread does to a response in progress (pooled-http.ts's PooledResponse; named here so this file
 * does not import pooled-http.ts, which imports this one). */
export interface ResponseInProgress {
  /** The I/O thread took a streamed chunk: the handler may write more. */
  ack(): void;
  /** The connection went away: settle what waits on the response. */
  abort(): void;
}

export class PooledConn implements Conn<unknown> {
  readonly id: number;
  readonly protocol: Protocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly thread: number;
  state: unknown = undefined;
  /** Replies still being computed (async procs and handlers). */
  inflight = 0;
  closeRequested = false;
  dropRequested = false;
  /** The I/O thread closed the connection. */
  gone = false;
  accepted = false;
  closeHookDone = false;
  /** The HTTP response in progress (one at a time: the I/O thread sends the next request after it). */
  response: ResponseInProgress | null = null;

  constructor(
    info: ConnInfo,
    /** The connection's number on its I/O thread (the ring records' conn field). */
    readonly no: number,
    /** Index of the serving module. */
    readonly module: number,
  ) {
    this.id = info.id;
    this.protocol = info.protocol;
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
    this.localPort = info.localPort;
    this.thread = info.thread;
  }

  close(): void {
    this.closeRequested = true;
  }

  /** What binary over HTTP reads after each proc call to stop at a drop() (the same field name as inline). */
  get dropping(): boolean {
    return this.dropRequested;
  }

  drop(): void {
    this.dropRequested = true;
    this.closeRequested = true;
  }
}
