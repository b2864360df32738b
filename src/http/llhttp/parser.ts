/**
 * @module http/llhttp/parser
 * The thin llhttp binding (why not the package's own Parser: docs/platform-notes.md, "The llhttp-wasm package"): one
 * WASM instance and ONE input buffer in WASM memory per thread, one `llhttp_t` per connection. Callbacks
 * (parser-callbacks.ts) only record offsets (parsed-head.ts) and merge the pieces llhttp reports when a span is cut
 * by a read boundary. A head cut by a read is copied out (from the URL start) and
 * replayed at offset 0 of the input buffer on the next execute, so its pieces stay contiguous; only new bytes
 * are fed to llhttp. Limits (head size, header count, URL length) are enforced here with their own result codes
 * (their options and check: parser-limits.ts; what a failed parse reports beyond its code: parse-error-detail.ts).
 *
 *   const p = new RequestParser({
 *     onHeadersComplete(p) { return 0; },                  // 1 = skip body, 21 = pause, -1 = error (HPE_CB_HEADERS_COMPLETE)
 *     onBody(p, buf, start, end) { sink(buf.subarray(start, end)); return 0; },   // buf = WASM memory, call-scoped
 *     onMessageComplete(p) { route(p.methodName(), p.url(), p.header("host")); return 0; },
 *   }, { maxHeadBytes: 16384, maxHeaders: 100, maxUrlBytes: 8192 });
 *   socket.data = (chunk) => {
 *     const rc = p.execute(chunk);                          // the one copy of `chunk`
 *     if (rc === ParseResult.PausedUpgrade) handOff(chunk.subarray(p.errorOffset()));
 *     else if (rc !== ParseResult.Ok) answerError(rc, p.errorName());   // e.g. HeadTooLarge → 431
 *   };
 *   socket.close = () => p.destroy();
 *
 * Accessors (url(), header(), ...) are valid from onHeadersComplete until the next message begins, and at the
 * latest until the execute() that delivered onMessageComplete returns. If the body continues in a later read the
 * head is detached automatically; call detachHead() to keep it past execute() (async handler, pause).
 *
 * llhttp is not re-entrant and the input buffer is shared: execute() from inside a callback throws
 * GRK_ERR_LLHTTP_REENTRANT, and a throwing callback never unwinds through WASM (recorded, returns -1).
 * llhttp can still reject a request after onHeadersComplete returned 0 (a request Transfer-Encoding that does not
 * end in chunked, RFC 9112 §6.3): act on a request at onMessageComplete, or be ready for an error result.
 */
import { HPE, LLHTTP_TYPE_REQUEST, ParseResult, parseResultName } from "./constants.ts";
import { llhttpError } from "./llhttp-errors.ts";
import { errorByteAt, errorReasonOf, errorTokenAt } from "./parse-error-detail.ts";
import { checkParserLimits, type ParserLimits } from "./parser-limits.ts";
import { BODY, IDLE, K_NONE, LlhttpCallbacks, llhttpImports, llhttpThread, type HeadEvents } from "./parser-callbacks.ts";
import { fastScan, type FastHead } from "./fast-path.ts";
import { MAX_INPUT_BYTES, type WasmRuntime, llhttpRuntime } from "./wasm-runtime.ts";

export { ParseResult, type ParseResultCode, Method, METHOD_NAMES, HPE } from "./constants.ts";
export type { ParserLimits };

export interface ParserEvents extends HeadEvents<RequestParser> {
  /** 0 = continue, 1 = skip body, 21 = pause (HPE_PAUSED), -1 = stop (execute returns HPE_CB_HEADERS_COMPLETE). */
  onHeadersComplete(p: RequestParser): number;
  /** Zero-copy: `buf` is WASM memory, valid only during this call. 0 = continue, -1 = stop (HPE_USER). */
  onBody(p: RequestParser, buf: Uint8Array, start: number, end: number): number;
  /** 0 = continue, 21 = pause, -1 = stop (execute returns HPE_CB_MESSAGE_COMPLETE). */
  onMessageComplete(p: RequestParser): number;
}

/** The shared empty `pending` (never written: endOfInput replaces it first); a pooled parser keeps one up to 1 KiB. */
const NO_PENDING = Buffer.alloc(0);
const KEEP_PENDING_BYTES = 1024;

/** Larger reads are fed in slices of at least this size after the carried head. */
const MIN_SLICE_BYTES = 64 * 1024;
/** Bytes allowed after the last recorded span of an unfinished head (" HTTP/1.1\r\n", CRLF, ": "). */
const FRAMING_SLACK = 16;

/** The thread's runtime (instance, shared input buffer, memory views), set by the first constructor (also llhttpThread.runtime). */
let wasm: WasmRuntime;

export class RequestParser extends LlhttpCallbacks {
  private ptr: number;
  /** Its owner (the connection); set again when a pooled parser is taken (http/parser-pool.ts). */
  events: ParserEvents;
  private err = 0;
  private errOff = 0;
  /** After an llhttp error: its position in WASM memory (-1: unknown) and the end of the data fed. */
  private errAt = -1;
  private errEnd = 0;
  /** The carried head of an unfinished request; NO_PENDING until one needs it (most never do). */
  private pending: Buffer = NO_PENDING;
  private pendingLen = 0;
  private destroyLater = false;
  private readonly fastOn: boolean;
  /** Requests the fast scan delivered (statistics and tests). */
  fastMessages = 0;

  constructor(events: ParserEvents, limits: ParserLimits) {
    checkParserLimits(limits);
    super(limits.maxHeaders);
    const { env, onGrow } = llhttpImports();
    wasm = llhttpThread.runtime = llhttpRuntime(env, onGrow);
    this.events = events;
    this.maxHead = limits.maxHeadBytes;
    this.maxHeaders = limits.maxHeaders;
    this.maxUrl = limits.maxUrlBytes;
    this.fastOn = limits.fastPath !== false;
    // HTTP_REQUEST by number: the package wrapper's TYPE[1] lookup yields BOTH and accepts responses (docs/platform-notes.md, "The llhttp-wasm package").
    this.ptr = wasm.allocParser(LLHTTP_TYPE_REQUEST);
    this.buf = wasm.mem;
  }

  /** Parses `chunk` (copied once into WASM memory). Returns ParseResult.Ok, a paused code, or an error code. */
  execute(chunk: Uint8Array): number {
    this.enter();
    if (this.err !== 0) {
      this.errOff = 0;
      return this.err;
    }
    const n = chunk.length;
    if (n === 0) return ParseResult.Ok;
    const need = this.pendingLen + n;
    if (need > wasm.inCap) {
      if (need > MAX_INPUT_BYTES) return this.executeSliced(chunk);
      wasm.growInput(need);
    }
    wasm.mem.set(chunk, wasm.inPtr + this.pendingLen);
    return this.feed(n, 0);
  }

  /** At EOF: Ok between messages, HPE_INVALID_EOF_STATE inside one. */
  finish(): number {
    this.enter();
    if (this.err !== 0) return this.err;
    llhttpThread.current = this;
    let rc: number;
    try {
      rc = wasm.exp.llhttp_finish(this.ptr);
    } finally {
      llhttpThread.current = null;
    }
    if (rc !== 0) this.err = this.stopCode !== 0 ? this.stopCode : rc;
    this.errOff = 0;
    return this.err;
  }

  /** After ParseResult.Paused: continue; feed the rest of the paused chunk from `errorOffset()`. */
  resume(): void {
    this.enter();
    if (this.err !== HPE.PAUSED) return;
    wasm.exp.llhttp_resume(this.ptr);
    this.err = 0;
  }

  /**
   * After ParseResult.PausedUpgrade when the server declines the upgrade (RFC 9110 §7.8: it MAY ignore Upgrade and
   * answer in HTTP/1.1): keep parsing; feed the rest of that chunk from `errorOffset()`.
   */
  resumeAfterUpgrade(): void {
    this.enter();
    if (this.err !== HPE.PAUSED_UPGRADE) return;
    wasm.exp.llhttp_resume_after_upgrade(this.ptr);
    this.err = 0;
  }

  /** Back to the start of a connection (keeps limits and events). */
  reset(): void {
    this.enter();
    wasm.exp.llhttp_reset(this.ptr);
    this.err = this.errOff = this.stopCode = this.pendingLen = this.headerCount = 0;
    this.preUrl = this.trailerBytes = this.trailerCount = 0;
    this.phase = IDLE;
    this.kind = K_NONE;
    this.urlFrom = this.urlTo = -1;
    // Not a fast-scanned head any more: fastMessage writes what such heads share only when `fast` is false, so a
    // reset must not leave it true over fields it may change.
    this.fast = false;
    this.detached = false;
    this.buf = wasm.mem;
    this.callbackError = undefined;
  }

  /** True when it may be reset to serve another connection: not freed, not inside llhttp. */
  get reusable(): boolean {
    return this.ptr !== 0 && !this.destroyLater && llhttpThread.current === null;
  }

  /** True between messages with nothing carried or stopped: the parser holds no state of its connection. */
  get betweenMessages(): boolean {
    return this.phase === IDLE && this.pendingLen === 0 && this.err === 0;
  }

  /** Before it waits in a pool: a fresh start (reset()) and no large buffer kept for the next connection. */
  park(): void {
    this.reset();
    if (this.pending.length > KEEP_PENDING_BYTES) this.pending = NO_PENDING;
  }

  /** Frees the llhttp_t (connection closed). From inside this parser's own callback the free waits for execute. */
  destroy(): void {
    if (this.ptr === 0) return;
    if (llhttpThread.current === this) {
      this.destroyLater = true;
      return;
    }
    wasm.exp.llhttp_free(this.ptr);
    this.ptr = 0;
    this.pending = NO_PENDING;
    this.pendingLen = 0;
  }

  /** Current result: 0, a paused code, an llhttp errno, or a negative binding code. */
  errorCode(): number {
    return this.err;
  }

  /** `HPE_*` or `GRK_*` name of errorCode(). */
  errorName(): string {
    return parseResultName(this.err);
  }

  /** llhttp's reason text for errorCode() (parse-error-detail.ts). */
  errorReason(): string {
    return errorReasonOf(wasm, this.ptr, this.err);
  }

  /** Offset in the last execute()'s chunk where llhttp stopped: start of the upgraded stream, or where to resume. */
  errorOffset(): number {
    return this.errOff;
  }

  /** The byte llhttp stopped at after an error of execute(); -1 when it stopped at the end of the data (or unknown). */
  errorByte(): number {
    return errorByteAt(wasm, this.errAt, this.errEnd);
  }

  /**
   * The request-line token (up to a space or line end, latin1) that llhttp stopped in, read from WASM memory after
   * an error of execute(): the method for HPE_INVALID_METHOD, the version for HPE_INVALID_VERSION. The head from the
   * request-target on is carried between reads, so a version split over reads is whole here; a method's bytes from
   * earlier reads were valid method characters, so the part from the bad byte on tells a token from garbage. "" when
   * unknown.
   */
  errorToken(): string {
    return errorTokenAt(wasm, this.errAt, this.errEnd);
  }

  private enter(): void {
    if (llhttpThread.current !== null) {
      throw llhttpError("GRK_ERR_LLHTTP_REENTRANT", "reentrant", {});
    }
    if (this.ptr === 0) throw llhttpError("GRK_ERR_LLHTTP_DESTROYED", "destroyed", {});
  }

  /** Reads larger than MAX_INPUT_BYTES: fed in slices (rare, so the subarray views are acceptable here). */
  private executeSliced(chunk: Uint8Array): number {
    for (let off = 0, n = chunk.length; off < n;) {
      if (wasm.inCap < this.pendingLen + MIN_SLICE_BYTES) wasm.growInput(this.pendingLen + MIN_SLICE_BYTES);
      const len = Math.min(wasm.inCap - this.pendingLen, n - off);
      wasm.mem.set(chunk.subarray(off, off + len), wasm.inPtr + this.pendingLen);
      const rc = this.feed(len, off);
      if (rc !== 0 || this.ptr === 0) return rc;
      off += len;
    }
    return ParseResult.Ok;
  }

  /** Runs llhttp over `n` new bytes that sit after the carried head (if any) in the input buffer. */
  private feed(n: number, chunkOff: number): number {
    const pl = this.pendingLen;
    const e = wasm.exp;
    if (pl !== 0) {
      this.pending.copy(wasm.mem, wasm.inPtr, 0, pl);
      this.rebase(wasm.inPtr);
      this.pendingLen = 0;
    }
    if (!this.detached) this.buf = wasm.mem;
    let start = wasm.inPtr + pl;
    if (pl === 0 && this.fastOn && this.phase === IDLE) {
      // Simple body-less requests first, in JavaScript; llhttp takes over at the first one that is not.
      const end = start + n;
      while (start < end) {
        // The scan writes its findings into this parser's own fields (urlFrom and urlTo are protected: hence the cast).
        const next = fastScan(wasm.mem, wasm.mem32, start, end, this.maxHead, this.maxUrl, this.maxHeaders, this.headerSpans, this as unknown as FastHead);
        if (next < 0) break;
        const rc = this.fastMessage(chunkOff + (next - wasm.inPtr));
        if (rc !== 0 || this.destroyLater) return this.afterCallbacks(rc);
        start = next;
      }
      if (start === end) return 0;
      chunkOff += start - wasm.inPtr;
      n = end - start;
    }
    const seq = this.msgSeq;
    llhttpThread.current = this;
    let rc: number;
    try {
      rc = e.llhttp_execute(this.ptr, start, n);
    } finally {
      llhttpThread.current = null;
    }
    if (rc === 0) {
      if (this.phase !== IDLE) rc = this.endOfInput(start, start + n, seq === this.msgSeq, chunkOff);
    } else {
      const pos = e.llhttp_get_error_pos(this.ptr);
      this.errOff = pos >= start ? chunkOff + (pos - start) : chunkOff;
      this.errAt = pos >= wasm.inPtr && pos <= start + n ? pos : -1;
      this.errEnd = start + n;
      this.err = rc = this.stopCode !== 0 ? this.stopCode : rc;
      if (rc === HPE.PAUSED && this.phase === BODY) this.detachHead();
    }
    return this.afterCallbacks(rc);
  }

  /** A callback may have asked to destroy the parser (its connection closed under it): do it now that llhttp is out. */
  private afterCallbacks(rc: number): number {
    if (this.destroyLater) {
      this.destroyLater = false;
      this.destroy();
    }
    return rc;
  }

  /**
   * Delivers a request the fast scan found (its offsets and fields written by fastScan) as llhttp would: the same
   * recorded state, then onHeadersComplete and onMessageComplete with the same return-value rules (a pause or stop
   * records the position after this message, as llhttp's error_pos would).
   */
  private fastMessage(offAfter: number): number {
    this.fastMessages++;
    this.msgSeq++;
    if (!this.fast) {
      // What every fast-scanned request has in common. Only llhttp's callbacks change these (its message begin also
      // clears `fast`), so after a fast-scanned request they still hold and are not written again.
      this.kind = K_NONE;
      this.preUrl = this.trailerBytes = this.trailerCount = 0;
      this.versionMajor = 1;
      this.fast = true;
      this.upgrade = this.chunked = false;
      this.contentLength = -1;
    }
    this.detached = false;
    this.buf = wasm.mem;
    this.phase = BODY;
    let rc: number;
    llhttpThread.current = this;
    try {
      rc = this.events.onHeadersComplete(this);
    } catch (err) {
      rc = this.threw(err);
    }
    if (rc === 0 || rc === 1) {
      this.phase = IDLE;
      try {
        rc = this.events.onMessageComplete(this);
      } catch (err) {
        rc = this.threw(err);
      }
      if (rc === 0) {
        llhttpThread.current = null;
        return 0;
      }
      if (rc === -1 && this.stopCode === 0) rc = HPE.CB_MESSAGE_COMPLETE;
    } else if (rc === -1 && this.stopCode === 0) rc = HPE.CB_HEADERS_COMPLETE;
    llhttpThread.current = null;
    if (rc === -1) rc = this.stopCode;
    this.errOff = offAfter;
    this.err = rc;
    if (rc === HPE.PAUSED && this.phase === BODY) this.detachHead();
    return rc;
  }

  /** The read ended inside a message: carry an unfinished head, or detach a finished one whose body continues. */
  private endOfInput(start: number, end: number, sameMessage: boolean, chunkOff: number): number {
    if (this.phase === BODY) {
      this.detachHead();
      return 0;
    }
    if (this.urlFrom < 0) {
      // Still before the request-target: llhttp skips any number of spaces there, so count them here.
      if (sameMessage) this.preUrl += end - start;
      return this.preUrl > this.maxHead ? this.fail(ParseResult.HeadTooLarge, chunkOff + end - start) : 0;
    }
    const from = this.urlFrom;
    const len = end - from;
    // The limit is exact on the recorded spans (target .. last value byte); the framing read after the last span
    // (" HTTP/1.1\r\n", CRLFs, ": ") gets a little slack, unbounded OWS before a value does not.
    if (len > this.maxHead + FRAMING_SLACK) return this.fail(ParseResult.HeadTooLarge, chunkOff + end - start);
    if (this.pending.length < len) this.pending = Buffer.allocUnsafe(Math.max(len, this.pending.length * 2, 1024));
    wasm.mem.copy(this.pending, 0, from, end);
    this.pendingLen = len;
    this.rebase(-from);
    return 0;
  }

  private fail(code: number, off: number): number {
    this.err = code;
    this.errAt = -1;
    this.errOff = off;
    return code;
  }
}
