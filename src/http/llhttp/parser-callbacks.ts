/**
 * @module http/llhttp/parser-callbacks
 * The llhttp callbacks of the binding (parser.ts) and the per-connection state they write: they only record offsets
 * into the head (parsed-head.ts), merge the pieces llhttp reports when a span is cut by a read boundary, and enforce
 * the limits (URL length, head size, header count) with the binding's own result codes. One set per thread; they
 * find their parser through `llhttpThread.current`, which parser.ts sets around every llhttp call.
 */
import { F, LLHTTP_T, ParseResult } from "./constants.ts";
import { ParsedHead, Phase } from "./parsed-head.ts";
import type { LlhttpImports } from "./wasm-loader.ts";
import type { WasmRuntime } from "./wasm-runtime.ts";

/** What the parser reports to its owner (parser.ts's ParserEvents, with `p` typed there as RequestParser). */
export interface HeadEvents<P> {
  onHeadersComplete(p: P): number;
  onBody(p: P, buf: Uint8Array, start: number, end: number): number;
  onMessageComplete(p: P): number;
}

// Plain module constants (not enums / imported objects) so the hot callbacks compile to immediates.
export const K_NONE = 0, K_URL = 1, K_FIELD = 2, K_VALUE = 3;
export const IDLE: number = Phase.Idle, HEAD: number = Phase.Head, BODY: number = Phase.Body;
const T_METHOD = LLHTTP_T.METHOD, T_MAJOR = LLHTTP_T.HTTP_MAJOR, T_MINOR = LLHTTP_T.HTTP_MINOR;
const T_FLAGS = LLHTTP_T.FLAGS, T_CL = LLHTTP_T.CONTENT_LENGTH, F_CHUNKED = F.CHUNKED, F_CL = F.CONTENT_LENGTH;

/** The thread's binding state: its runtime (instance, shared input buffer, memory views) and the parser inside
 * llhttp_execute (replaces a pointer → parser map, and marks "busy"). */
export const llhttpThread: { runtime: WasmRuntime; current: LlhttpCallbacks | null } = {
  runtime: undefined as unknown as WasmRuntime,
  current: null,
};

let env: LlhttpImports;
/** Memory grew (a malloc inside a callback, e.g. a new connection): live offsets now index the new buffer. */
let onGrow: () => void;

/** The callbacks (llhttp's `env` imports) and the memory-growth hook, for llhttpRuntime(). */
export function llhttpImports(): { env: LlhttpImports; onGrow: () => void } {
  return { env, onGrow };
}

export abstract class LlhttpCallbacks extends ParsedHead {
  /** The value a callback threw (execute returned CallbackThrew). */
  callbackError: unknown = undefined;

  protected abstract readonly events: HeadEvents<LlhttpCallbacks>;
  protected maxHead = 0;
  protected maxHeaders = 0;
  protected maxUrl = 0;
  /** Set by a callback that returned -1 on the binding's behalf (limit or throw). */
  protected stopCode = 0;
  protected kind = K_NONE;
  protected msgSeq = 0;
  /** Bytes of this message read before its request-target (llhttp skips any number of spaces there). */
  protected preUrl = 0;
  protected trailerBytes = 0;
  protected trailerCount = 0;

  /** Records a binding stop inside a callback; llhttp turns the -1 into HPE_USER / HPE_CB_*. */
  protected stop(code: number): number {
    this.stopCode = code;
    return -1;
  }

  protected threw(err: unknown): number {
    this.callbackError = err;
    this.stopCode = ParseResult.CallbackThrew;
    return -1;
  }

  static {
    onGrow = () => {
      const c = llhttpThread.current;
      if (c !== null && !c.detached) c.buf = llhttpThread.runtime.mem;
    };
    env = {
      wasm_on_message_begin(): number {
        const c = llhttpThread.current!;
        c.msgSeq++;
        c.fast = false;
        c.phase = HEAD;
        c.kind = K_NONE;
        c.headerCount = c.preUrl = c.trailerBytes = c.trailerCount = 0;
        c.urlFrom = c.urlTo = -1;
        c.contentLength = -1;
        c.chunked = c.upgrade = c.keepAlive = false;
        c.detached = false;
        c.buf = llhttpThread.runtime.mem;
        return 0;
      },
      wasm_on_url(_p: number, at: number, len: number): number {
        const c = llhttpThread.current!;
        if (c.kind === K_URL && at === c.urlTo) c.urlTo = at + len;
        else {
          c.kind = K_URL;
          c.urlFrom = at;
          c.urlTo = at + len;
        }
        // RFC 9112 §3: a server that receives a request-target longer than it wishes to parse responds 414.
        if (c.urlTo - c.urlFrom > c.maxUrl) return c.stop(ParseResult.UrlTooLong);
        return c.urlTo - c.urlFrom > c.maxHead ? c.stop(ParseResult.HeadTooLarge) : 0;
      },
      wasm_on_status(): number {
        return 0;
      },
      wasm_on_header_field(_p: number, at: number, len: number): number {
        const c = llhttpThread.current!;
        const end = at + len;
        if (c.phase !== HEAD) {
          // Trailer section: RFC 9112 §7.1.2 lets a recipient discard trailers; only bound their size.
          c.kind = K_FIELD;
          return (c.trailerBytes += len) > c.maxHead ? c.stop(ParseResult.HeadTooLarge) : 0;
        }
        let h = c.headerSpans;
        const last = (c.headerCount - 1) * 4;
        if (c.kind === K_FIELD && at === h[last + 1]) h[last + 1] = end;
        else {
          if (c.headerCount === c.maxHeaders) return c.stop(ParseResult.TooManyHeaders);
          if (c.headerCount * 4 === h.length) h = c.growHeaders();
          const i = c.headerCount++ * 4;
          h[i] = at;
          h[i + 1] = h[i + 2] = h[i + 3] = end;
          c.kind = K_FIELD;
        }
        return end - c.urlFrom > c.maxHead ? c.stop(ParseResult.HeadTooLarge) : 0;
      },
      wasm_on_header_value(_p: number, at: number, len: number): number {
        const c = llhttpThread.current!;
        const end = at + len;
        if (c.phase !== HEAD) {
          if (c.kind === K_FIELD && ++c.trailerCount > c.maxHeaders) return c.stop(ParseResult.TooManyHeaders);
          c.kind = K_VALUE;
          return (c.trailerBytes += len) > c.maxHead ? c.stop(ParseResult.HeadTooLarge) : 0;
        }
        const h = c.headerSpans;
        const last = (c.headerCount - 1) * 4;
        if (c.kind === K_VALUE && at === h[last + 3]) h[last + 3] = end;
        else {
          h[last + 2] = at;
          h[last + 3] = end;
          c.kind = K_VALUE;
        }
        return end - c.urlFrom > c.maxHead ? c.stop(ParseResult.HeadTooLarge) : 0;
      },
      wasm_on_headers_complete(p: number, _status: number, upgrade: number, keepAlive: number): number {
        const c = llhttpThread.current!;
        c.phase = BODY;
        c.kind = K_NONE;
        const m = llhttpThread.runtime.mem;
        c.method = m[p + T_METHOD]!;
        c.versionMajor = m[p + T_MAJOR]!;
        c.versionMinor = m[p + T_MINOR]!;
        c.keepAlive = keepAlive === 1;
        c.upgrade = upgrade === 1;
        const flags = m[p + T_FLAGS]! | (m[p + T_FLAGS + 1]! << 8);
        c.chunked = (flags & F_CHUNKED) !== 0;
        if ((flags & F_CL) !== 0) {
          const w = (p + T_CL) >>> 2;
          c.contentLength = llhttpThread.runtime.mem32[w]! + llhttpThread.runtime.mem32[w + 1]! * 4294967296;
        }
        try {
          return c.events.onHeadersComplete(c);
        } catch (err) {
          return c.threw(err);
        }
      },
      wasm_on_body(_p: number, at: number, len: number): number {
        const c = llhttpThread.current!;
        try {
          return c.events.onBody(c, llhttpThread.runtime.mem, at, at + len);
        } catch (err) {
          return c.threw(err);
        }
      },
      wasm_on_message_complete(): number {
        const c = llhttpThread.current!;
        c.phase = IDLE;
        c.kind = K_NONE;
        try {
          return c.events.onMessageComplete(c);
        } catch (err) {
          return c.threw(err);
        }
      },
    };
  }
}
