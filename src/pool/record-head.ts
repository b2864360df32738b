/**
 * @module pool/record-head
 * A request's head as it arrived on a handler thread in an HTTP_REQ record (pool-protocol.ts), read by the same
 * request object as on the I/O thread (http/request.ts) through its RequestHead interface.
 */
import type { RequestHead } from "../http/request.ts";
import type { PoolRequest } from "./pool-protocol.ts";

export class RecordHead implements RequestHead {
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly headerCount: number;
  /** [lower-case name, value] pairs, in order. */
  private readonly fields: Array<[string, string]>;

  constructor(private readonly record: PoolRequest) {
    this.versionMajor = record.versionMajor;
    this.versionMinor = record.versionMinor;
    this.fields = record.headers;
    this.headerCount = record.headers.length;
  }

  methodName(): string {
    return this.record.method;
  }

  url(): string {
    return this.record.url;
  }

  headerIndex(nameLower: string, from = 0): number {
    const f = this.fields;
    for (let i = from; i < f.length; i++) if (f[i]![0] === nameLower) return i;
    return -1;
  }

  headerName(i: number): string {
    return this.fields[i]?.[0] ?? "";
  }

  headerValue(i: number): string {
    return this.fields[i]?.[1] ?? "";
  }

  /** The record was copied out of the ring already (pool-protocol.ts Reader). */
  detachHead(): void {}
}
