/**
 * Test helpers for the llhttp binding: a recording ParserEvents, feeding helpers and a seeded PRNG.
 * Everything a message exposes is captured twice, at onHeadersComplete and again at onMessageComplete, so the
 * tests also check that the accessors stay valid until the message ends (auto-detach when the body straddles reads).
 */
import { type ParserEvents, type ParserLimits, RequestParser } from "../../src/http/llhttp/parser.ts";

export interface Head {
  method: string;
  url: string;
  versionMajor: number;
  versionMinor: number;
  keepAlive: boolean;
  upgrade: boolean;
  contentLength: number;
  chunked: boolean;
  headers: [string, string][];
  rawNames: string[];
}

export interface Msg extends Head {
  body: string;
  /** The head read again at onMessageComplete. */
  headAtEnd: Head;
}

export const LIMITS: ParserLimits = { maxHeadBytes: 16 * 1024, maxHeaders: 100, maxUrlBytes: 8 * 1024 };

export function readHead(p: RequestParser): Head {
  const headers: [string, string][] = [];
  const rawNames: string[] = [];
  for (let i = 0; i < p.headerCount; i++) {
    headers.push([p.headerName(i), p.headerValue(i)]);
    rawNames.push(p.headerRawName(i));
  }
  return {
    method: p.methodName(), url: p.url(), versionMajor: p.versionMajor, versionMinor: p.versionMinor,
    keepAlive: p.keepAlive, upgrade: p.upgrade, contentLength: p.contentLength, chunked: p.chunked, headers, rawNames,
  };
}

export class Recorder implements ParserEvents {
  readonly messages: Msg[] = [];
  private head: Head | undefined;
  private body = "";
  /** Optional hooks to change the return values. */
  headersResult = 0;
  completeResult = 0;
  onComplete: ((p: RequestParser) => void) | undefined;

  onHeadersComplete(p: RequestParser): number {
    this.head = readHead(p);
    this.body = "";
    return this.headersResult;
  }

  onBody(_p: RequestParser, buf: Uint8Array, start: number, end: number): number {
    this.body += Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1");
    return 0;
  }

  onMessageComplete(p: RequestParser): number {
    this.messages.push({ ...this.head!, body: this.body, headAtEnd: readHead(p) });
    this.onComplete?.(p);
    return this.completeResult;
  }
}

export function latin1(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/** Feeds `pieces` in order; returns the first non-zero result (or 0) and the recorder. */
export function parsePieces(pieces: Uint8Array[], limits: ParserLimits = LIMITS): {
  rc: number; rec: Recorder; p: RequestParser;
} {
  const rec = new Recorder();
  const p = new RequestParser(rec, limits);
  let rc = 0;
  for (const piece of pieces) {
    rc = p.execute(piece);
    if (rc !== 0) break;
  }
  return { rc, rec, p };
}

export function splitAt(buf: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(buf.slice(prev, c));
    prev = c;
  }
  out.push(buf.slice(prev));
  return out;
}

export function bytewise(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < buf.length; i++) out.push(buf.slice(i, i + 1));
  return out;
}

/** mulberry32: small deterministic PRNG for reproducible random splits. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomCuts(len: number, rnd: () => number, maxCuts: number): number[] {
  const n = 1 + Math.floor(rnd() * maxCuts);
  const cuts = new Set<number>();
  for (let i = 0; i < n; i++) cuts.add(1 + Math.floor(rnd() * (len - 1)));
  return [...cuts].sort((a, b) => a - b);
}
