/**
 * @module pool/serve-http
 * One HTTP request on a handler thread: the serving contract of the I/O threads (http/exchange.ts: route, hook,
 * result to response, 500 or the `error` hook's answer), with the request read from its HTTP_REQ record
 * (record-head.ts), a `fetch` hook's body as a stream fed by BODY records (pool-body.ts), and the response sent back
 * as HTTP_RES records (record-sink.ts). A failure is logged here, where the error is known, and counted on the I/O
 * thread (R_FAIL on the answer's first record).
 */
import { HttpExchange, type ExchangeHost } from "../http/exchange.ts";
import { HttpRequestImpl } from "../http/request.ts";
import { HttpResponseImpl } from "../http/response.ts";
import type { RateLimitedLog } from "../log/logger.ts";
import type { ModuleDefinition } from "../module/types.ts";
import type { PoolRequest } from "./pool-protocol.ts";
import type { PooledConn } from "./pooled-conn.ts";
import { RecordHead } from "./record-head.ts";
import { RecordSink, type EmitResponse } from "./record-sink.ts";

/** The exchange's host on a handler thread: what it counts goes on the records; the I/O thread does the rest. */
class PooledHttpHost implements ExchangeHost {
  /** The I/O thread decides what a response to a client that left becomes (http/http-backend-side.ts). */
  readonly closed = false;
  waiting = false;

  constructor(
    readonly conn: PooledConn,
    readonly noisy: RateLimitedLog,
    private readonly sink: RecordSink,
  ) {}

  afterClosed(): void {}
  enterEvent(): boolean {
    return false;
  }
  leaveEvent(): void {}
  handlerError(): void {
    this.sink.failed();
  }
  badData(): void {}
  packetsServed(): void {}
  cut(): void {
    this.sink.cut();
  }
  binaryDropped(): void {
    this.sink.dropped();
  }
}

export function serveHttp(
  def: ModuleDefinition<unknown>,
  /** Decided by the I/O thread (route.ts): it knows the listener and whether binary over HTTP is on there. */
  route: number,
  c: PooledConn,
  r: PoolRequest,
  maxBody: number,
  noisy: RateLimitedLog,
  emit: EmitResponse,
  done: () => void,
  scheme: string,
  /** A `fetch` hook's body, fed from BODY records as they come (pool-body.ts); null: `r.body` is all of it. */
  stream: ReadableStream<Uint8Array> | null,
): void {
  const sink = new RecordSink(emit, c, done, Math.max(1024, maxBody));
  c.response = sink;
  const req = new HttpRequestImpl(c);
  req.begin(new RecordHead(r), r.body);
  new HttpExchange(def, new PooledHttpHost(c, noisy, sink), req, new HttpResponseImpl(sink), scheme, () => c.gone).run(route, r.body, stream);
}
