/**
 * @module http/request-state
 * What an HTTP connection on an I/O thread needs only while it has requests to serve: the request and response
 * objects a hook sees (request.ts, response.ts), the wire writer (wire-response.ts), the serving contract
 * (exchange.ts), the request's statistics and access-log line (request-metrics.ts) and its body collector
 * (request-body.ts). Made at the connection's first read and let go by the housekeeping tick once it is idle between
 * requests (http-connection.ts), so an idle keep-alive connection holds none of it (issue 17: six objects, ~0.6 KiB
 * of every idle connection); a hook that still holds its `req` or `res` keeps its own, never another's.
 */
import type { IoContext } from "../io/io-context.ts";
import type { StreamConnection } from "../io/stream-connection.ts";
import { HttpAccessLine } from "./access-line.ts";
import { HttpExchange, type ExchangeHost } from "./exchange.ts";
import { RequestBody } from "./request-body.ts";
import { RequestMetrics } from "./request-metrics.ts";
import { HttpRequestImpl } from "./request.ts";
import { HttpResponseImpl } from "./response.ts";
import { WireResponse, type WireOut } from "./wire-response.ts";
import type { ModuleDefinition } from "../module/types.ts";

/** The listener's side that the state is made from (http-dispatch.ts's HttpService). */
export interface RequestStateService {
  readonly def: ModuleDefinition<unknown>;
  readonly scheme: string;
  readonly http: { readonly max_body_bytes: number };
  readonly durations: Float64Array;
  readonly durationBase: number;
}

/** The connection itself, in each of its roles here. */
export type RequestStateConn = StreamConnection & WireOut & ExchangeHost;

export class RequestState {
  readonly req: HttpRequestImpl;
  /** The response on the wire (the status and bytes sent); `res`, the hook's response object, writes to it. */
  readonly wire: WireResponse;
  readonly res: HttpResponseImpl;
  /** The serving contract for this connection's requests (run by the inline backend, inline/inline-http.ts). */
  readonly exchange: HttpExchange;
  /** Statistics, durations and the access-log line of each request. */
  readonly metrics: RequestMetrics;
  readonly body: RequestBody;

  constructor(conn: RequestStateConn, io: IoContext, service: RequestStateService) {
    this.req = new HttpRequestImpl(conn);
    this.wire = new WireResponse(conn);
    this.res = new HttpResponseImpl(this.wire);
    this.exchange = new HttpExchange(service.def, conn, this.req, this.res, service.scheme, null);
    this.metrics = new RequestMetrics(io, service, io.accessLog === null ? null : new HttpAccessLine(io.accessLog, conn));
    this.body = new RequestBody(service.http.max_body_bytes);
  }
}
