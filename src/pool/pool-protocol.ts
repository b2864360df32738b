/**
 * @module pool/pool-protocol
 * The records I/O threads and handler threads exchange over their ring pair (no postMessage on the data path).
 * Every record carries four int32 fields — kind, connection, sequence, flags — then a payload:
 *
 *   I/O → handler   OPEN        conn info (ids, addresses)            accept runs on the handler, state lives there
 *                   PACKET      one framed packet (seq numbers it)    proc
 *                   CLOSE       the connection is gone                close, after its in-flight procs settle
 *                   HTTP_REQ    one parsed request (seq)              http hook (flags Q_STREAM: its body follows)
 *                   BODY        a piece of that request's body (seq)  fed to the fetch hook's body stream
 *                   BODY_END    the body is complete (seq)            the stream closes
 *                   BODY_ABORT  the body will not complete (seq; payload: the error, errors.ts errorToWire)
 *                   ACK         a streamed chunk left the I/O thread   the handler may write more
 *                   DATAGRAM    one UDP packet with its sender          proc (the sender is the conn)
 *                   DRAINING    the drain began (seq numbers the reply) the module's draining hook
 *                   WS_OPEN     the HTTP connection is a WebSocket now  conn.protocol "ws": push and topics work on it
 *   handler → I/O   REPLY       proc's answer for seq (flags: CLOSE, DROP, FAIL, EMPTY)
 *                   REJECT      accept refused the connection
 *                   HTTP_RES    a response, whole or streamed (flags: WHOLE, CHUNK, END, FAIL, CLOSE, DROP, CUT)
 *                   BODY_CREDIT the hook read `flags` more bytes of body `seq`: the I/O thread may send that many more
 *                   PS_PUSH     conn.send bytes for this conn           in line with its replies (pubsub/); seq: the
 *                               proc running when it was made (it leaves before that proc's reply), flags 1: more parts
 *                   PS_SUB      topic (UTF-8)                          conn.subscribe; PS_UNSUB: unsubscribe
 *                   PS_PUBLISH  topic, data (conn = topic byte length, seq/flags = excepted id hi/lo)  ctx.publish
 *                   PS_SEND     data (seq/flags = target id hi/lo)     ctx.send to any connection of the process
 *   I/O → handler   PS_STATE    flags 1: this conn's output is past high water; 0: drained (conn.send's answer)
 *
 * Connection numbers are per I/O thread (an int32 counter), so a handler keys its maps by (I/O thread, conn).
 */

import { RESPONSE_CHUNK, RESPONSE_CLOSE, RESPONSE_CUT, RESPONSE_DROP, RESPONSE_END, RESPONSE_FAIL, RESPONSE_WHOLE } from "../http/http-backend.ts";

export const FIELDS = 4;
export const F_KIND = 0;
export const F_CONN = 1;
export const F_SEQ = 2;
export const F_FLAGS = 3;

export const K_OPEN = 1;
export const K_PACKET = 2;
export const K_CLOSE = 3;
export const K_HTTP_REQ = 4;
export const K_ACK = 5;
/** One UDP packet: payload = f64 sender conn id, u16 sender port, latin1 sender address, the packet (seq numbers the reply). */
export const K_DATAGRAM = 6;
/** DATAGRAM flag: the first packet of its datagram (the handler stops a datagram's packets at close() or drop()). */
export const D_FIRST = 1;
/** The drain began for this connection: the handler calls the module's `draining`; its reply comes as a REPLY (seq). */
export const K_DRAINING = 7;
/** The HTTP connection `conn` was upgraded to a WebSocket (ws/ws-connection.ts): the handler's conn becomes "ws". */
export const K_WS_OPEN = 8;
/** A streamed request body (pool-body.ts): a piece, its end, its failure (payload errorToWire). */
export const K_BODY = 9;
export const K_BODY_END = 10;
export const K_BODY_ABORT = 16;
export const K_REPLY = 11;
export const K_REJECT = 12;
export const K_HTTP_RES = 13;
/** Handler → I/O: bytes of a streamed body the hook has read (flags: how many): credit for as many more. */
export const K_BODY_CREDIT = 14;

/** Server push and topics (pubsub/): kinds from K_PS_FIRST on go to the I/O thread's hub, not to a connection. */
export const K_PS_FIRST = 20;
export const K_PS_PUSH = 20;
export const K_PS_SUB = 21;
export const K_PS_UNSUB = 22;
export const K_PS_PUBLISH = 23;
export const K_PS_SEND = 24;
export const K_PS_STATE = 25;

/**
 * REPLY / HTTP_RES flags. HTTP_RES carries the response pieces of the HTTP backend interface as they are
 * (http/http-backend.ts RESPONSE_*: close, drop, fail, whole, chunk, end, cut), so these share their values.
 */
export const R_CLOSE = RESPONSE_CLOSE;
export const R_DROP = RESPONSE_DROP;
export const R_FAIL = RESPONSE_FAIL;
export const R_EMPTY = 8;
export const R_WHOLE = RESPONSE_WHOLE;
export const R_CHUNK = RESPONSE_CHUNK;
export const R_END = RESPONSE_END;
/** REPLY: more parts of this reply follow (a reply larger than one ring record). */
export const R_PART = 128;
/** HTTP_RES: the handler failed with part of its response out; the I/O thread cuts the connection. */
export const R_CUT = RESPONSE_CUT;
/** HTTP_REQ flags: the route (route.ts, 0-3) in the low bits ... */
export const Q_ROUTE = 7;
/** ... and whether the request came over TLS (its fetch-hook URL is https://). */
export const Q_TLS = 8;
/** ... and whether its body follows in BODY records (a `fetch` hook's body, streamed: pool-body.ts). */
export const Q_STREAM = 16;

const enc = new TextEncoder();
const dec = new TextDecoder();
const NO_BYTES = new Uint8Array(0);

/** A little cursor writer over a byte area (the ring's, for zero-copy records, or a scratch buffer). */
export class Writer {
  dv: DataView;
  constructor(
    public buf: Uint8Array,
    public off: number,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8(v: number): void {
    this.dv.setUint8(this.off++, v);
  }
  u16(v: number): void {
    this.dv.setUint16(this.off, v);
    this.off += 2;
  }
  u32(v: number): void {
    this.dv.setUint32(this.off, v);
    this.off += 4;
  }
  f64(v: number): void {
    this.dv.setFloat64(this.off, v);
    this.off += 8;
  }
  /** latin1 string with a u32 length (header fields are octets, RFC 9110 §5.5). */
  latin1(s: string): void {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.off + i] = s.charCodeAt(i);
    this.off += s.length;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
  }
}

export class Reader {
  dv: DataView;
  /** The same bytes as a Buffer, for latin1Slice without a Buffer per string. */
  private readonly lat: Buffer & { latin1Slice(a: number, b: number): string };
  constructor(
    public buf: Uint8Array,
    public off: number,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.lat = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength) as Buffer & { latin1Slice(a: number, b: number): string };
  }
  u8(): number {
    return this.dv.getUint8(this.off++);
  }
  u16(): number {
    const v = this.dv.getUint16(this.off);
    this.off += 2;
    return v;
  }
  u32(): number {
    const v = this.dv.getUint32(this.off);
    this.off += 4;
    return v;
  }
  f64(): number {
    const v = this.dv.getFloat64(this.off);
    this.off += 8;
    return v;
  }
  latin1(): string {
    const n = this.u32();
    const s = this.lat.latin1Slice(this.off, this.off + n);
    this.off += n;
    return s;
  }
  /** A copy: ring memory is reused once the poll handler returns. (Empty: one shared empty array, nothing to copy.) */
  bytes(): Uint8Array {
    const n = this.u32();
    const b = n === 0 ? NO_BYTES : this.buf.slice(this.off, this.off + n);
    this.off += n;
    return b;
  }
}

let lastReader: Reader | null = null;
const readers = new WeakMap<Uint8Array, Reader>();

/**
 * A Reader over `bytes` (a ring's data area) at `off`: one per area for the life of the thread, not a Reader, a
 * DataView and a Buffer per record. Records are read synchronously in the poll handler, so one cursor per area is
 * enough; read what you need before handing on to code that may read another record of the same area.
 */
export function readerAt(bytes: Uint8Array, off: number): Reader {
  let r = lastReader;
  if (r === null || r.buf !== bytes) {
    r = readers.get(bytes) ?? null;
    if (r === null) readers.set(bytes, (r = new Reader(bytes, 0)));
    lastReader = r;
  }
  r.off = off;
  return r;
}

/** What a handler needs to know of a connection (sent once, in OPEN). */
export interface ConnInfo {
  /** Index of the module serving the listener, in the configuration's module list. */
  module: number;
  id: number;
  protocol: "tcp" | "http" | "udp" | "ws";
  remoteAddress: string;
  remotePort: number;
  localPort: number;
  thread: number;
}

const PROTOCOLS = ["tcp", "http", "udp", "ws"] as const;

export function connInfoSize(info: ConnInfo): number {
  return 2 + 8 + 1 + 4 + info.remoteAddress.length * 3 + 2 + 2 + 2;
}

export function writeConnInfo(w: Writer, info: ConnInfo): void {
  w.u16(info.module);
  w.f64(info.id);
  w.u8(PROTOCOLS.indexOf(info.protocol));
  const addr = enc.encode(info.remoteAddress);
  w.bytes(addr);
  w.u16(info.remotePort);
  w.u16(info.localPort);
  w.u16(info.thread);
}

export function readConnInfo(r: Reader): ConnInfo {
  const module = r.u16();
  const id = r.f64();
  const protocol = PROTOCOLS[r.u8()] ?? "tcp";
  const remoteAddress = dec.decode(r.bytes());
  return { module, id, protocol, remoteAddress, remotePort: r.u16(), localPort: r.u16(), thread: r.u16() };
}

/** A request as it crosses to a handler. */
export interface PoolRequest {
  method: string;
  url: string;
  versionMajor: number;
  versionMinor: number;
  /** [lower-case name, value] pairs, in order. */
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export function requestSize(r: PoolRequest): number {
  let n = 4 + r.method.length + 4 + r.url.length + 2 + 2 + 4 + r.body.length;
  for (const [k, v] of r.headers) n += 8 + k.length + v.length;
  return n;
}

export function writeRequest(w: Writer, r: PoolRequest): void {
  w.latin1(r.method);
  w.latin1(r.url);
  w.u8(r.versionMajor);
  w.u8(r.versionMinor);
  w.u16(r.headers.length);
  for (const [k, v] of r.headers) {
    w.latin1(k);
    w.latin1(v);
  }
  w.bytes(r.body);
}

export function readRequest(rd: Reader): PoolRequest {
  const method = rd.latin1();
  const url = rd.latin1();
  const versionMajor = rd.u8();
  const versionMinor = rd.u8();
  const n = rd.u16();
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) headers.push([rd.latin1(), rd.latin1()]);
  return { method, url, versionMajor, versionMinor, headers, body: rd.bytes() };
}

/** A response (or a streamed part of one) as it crosses back: status, header lines "Name: v\r\n...", body. */
export interface PoolResponse {
  status: number;
  lines: string;
  body: Uint8Array;
}

export function responseSize(r: PoolResponse): number {
  return 2 + 4 + r.lines.length + 4 + r.body.length;
}

export function writeResponse(w: Writer, r: PoolResponse): void {
  w.u16(r.status);
  w.latin1(r.lines);
  w.bytes(r.body);
}

export function readResponse(rd: Reader): PoolResponse {
  return { status: rd.u16(), lines: rd.latin1(), body: rd.bytes() };
}
