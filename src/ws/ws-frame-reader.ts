/**
 * @module ws/ws-frame-reader
 * The WebSocket read side (RFC 6455 §5–§7) as pure code: no socket, no timers. `consume` parses the frames in
 * buf[off..end) where they lie (the thread's input buffer or a connection's pending bytes, as TCP framing does),
 * unmasks each payload in the same buffer in one pass (a 32-bit word at a time when the caller passes a word view of
 * the buffer: ws-connection.ts does, for the thread's input buffer and its kept input), and reports whole messages,
 * control frames and protocol errors to a sink. The pass also moves each payload down, right behind the previous one with just the room of a
 * server frame header in between (a client header is always at least 4 bytes longer: the masking key), so an echo
 * is framed where it lies and the replies of one read are one range of the buffer (ws-connection.ts: one write, no
 * copy). A frame not yet whole is left in place: `consume` returns its start and the caller keeps the bytes from
 * there for the next read, so a header split at any offset is parsed again once complete. Only a fragmented
 * message is copied (its pieces are gathered in `frag`, bounded by the message size limit).
 */
import { Utf8Validator, isUtf8 } from "./utf8-validator.ts";
import { inflateMessage } from "./ws-deflate.ts";
import { headerLength } from "./ws-frame-writer.ts";

const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Close codes (RFC 6455 §7.4.1) the runtime sends on its own. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
const CLOSE_PROTOCOL = 1002;
const CLOSE_NO_STATUS = 1005;
export const CLOSE_BAD_DATA = 1007;
export const CLOSE_POLICY = 1008;
const CLOSE_TOO_BIG = 1009;
export const CLOSE_INTERNAL = 1011;

export interface WsSink {
  /**
   * A whole message (fragments reassembled), buf[off..off+len), unmasked; valid only during the call. `room`: it
   * came in one frame and the headerLength(len) bytes before it are free, for the sink to frame a reply there
   * (ws-frame-writer.ts); false for a reassembled or inflated message (its own buffer, nothing before it).
   */
  message(buf: Uint8Array, off: number, len: number, binary: boolean, room: boolean): void;
  /** A ping or pong with its payload (≤ 125 bytes), valid only during the call; the 2 bytes before it are free (room). */
  control(opcode: number, buf: Uint8Array, off: number, len: number): void;
  /** A valid close frame: its code (1005 when it had none) and reason bytes (checked UTF-8). Parsing stops. */
  peerClose(code: number, buf: Uint8Array, off: number, len: number): void;
  /** A rule was broken: the connection must be failed with this close code (§7.1.7). Parsing stops. */
  error(code: number, why: string): void;
}

/**
 * RFC 6455 §7.4.1/§7.4.2: codes an endpoint may receive. 1004, 1005, 1006 and 1015 are reserved ("MUST NOT be
 * set as a status code in a Close control frame by an endpoint"), below 1000 unused; 1012–1014 were registered
 * with IANA since (the registry §11.7 creates); 3000–4999 belong to libraries and applications.
 */
export function validCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

const FRAG_KEEP = 64 * 1024;
/**
 * Payloads from this length on are unmasked a 32-bit word at a time when the caller has a word view of the buffer:
 * about twice as fast from 125 bytes on (bench/micro/ws-echo.bench.ts), no gain for a few bytes.
 */
const WORDS_FROM = 16;

export class WsFrameReader {
  /** The opcode of the fragmented message in progress (OP_TEXT or OP_BINARY), 0 when none. */
  private fragOp = 0;
  private frag: Uint8Array | null = null;
  private fragLen = 0;
  private readonly text = new Utf8Validator();
  private readonly scratch = new Utf8Validator();
  /** Set by the sink to stop after the current frame (output past high water); consume returns where it stopped. */
  halt = false;
  /** A close frame or an error was seen: nothing after it is parsed. */
  done = false;
  /** The fragmented message in progress is compressed (RSV1 on its first frame). */
  private fragZ = false;

  /** `deflate`: permessage-deflate was negotiated (ws-deflate.ts), so RSV1 marks a compressed message. */
  constructor(
    readonly maxMessage: number,
    readonly deflate = false,
  ) {}

  /** A fragmented message is half received (its pieces are held here). */
  get midMessage(): boolean {
    return this.fragOp !== 0;
  }

  /** The proc of the last message may keep its view: a new gathering buffer is used for the next one. */
  forgetFragBuffer(): void {
    this.frag = null;
  }

  /**
   * Parses the frames in buf[off..end); returns the offset of the first byte not consumed (end when all were), -1
   * once the connection must be failed. The loop holds only the path every frame takes; the header's rules
   * (checkHeader) and fragments (piece) are methods of their own, so the JIT compiles a small loop (the whole
   * reader in it cost several times the compile time, at the start of every busy thread). `w32`: an Int32Array
   * over the same bytes as `buf` (same buffer, byte offset 0 of both), for unmasking a word at a time; null: byte
   * at a time.
   */
  consume(buf: Uint8Array, off: number, end: number, sink: WsSink, w32: Int32Array | null = null): number {
    this.halt = false;
    /** Where the next payload's server header room begins: the end of the last payload moved down. */
    let w = off;
    while (!this.done && !this.halt) {
      const avail = end - off;
      if (avail < 2) return off;
      const b0 = buf[off]!;
      const b1 = buf[off + 1]!;
      let len = b1 & 0x7f;
      let head = 2;
      if (len >= 126) {
        head = len === 126 ? 4 : 10;
        if (avail < head) return off;
        len = longLength(buf, off, len);
      }
      const op = b0 & 0x0f;
      // The header's rules are checked before its payload has arrived, so a frame that breaks one is refused at once.
      // The usual frame (FIN, no reserved bit, text or binary, masked, no fragmented message open, within the limit)
      // passes them all, which the first test tells at once.
      if ((b0 !== 0x81 && b0 !== 0x82) || b1 < 0x80 || this.fragOp !== 0 || len < 0 || len > this.maxMessage) {
        if (!this.checkHeader(b0, b1, len, sink)) return -1;
      }
      const start = off + head + 4;
      if (end - start < len) return off;
      // §5.3: "octet i of the transformed data is the XOR of octet i of the original data with octet at index
      // i MOD 4 of the masking key": one pass, which also moves the payload down to `at`, right after the room of a
      // server header (headerLength(len) ≤ head, so at ≤ start - 4: every byte is read before it is written over),
      // and ORs the bytes together: all below 0x80 is ASCII text, valid UTF-8 with no second pass.
      const k = off + head;
      const at = w + headerLength(len);
      const stop = at + len;
      const d = start - at;
      // d grows by 4 with each frame (a client header is a server header plus the key) unless a client used a longer
      // length form than needed: then its bytes go one at a time.
      const acc = w32 !== null && len >= WORDS_FROM && (d & 3) === 0 ? unmaskWords(buf, w32, k, at, stop, d) : unmaskBytes(buf, k, at, stop, d);
      off = start + len;
      w = stop;
      if (op >= OP_CLOSE) {
        // §5.4: "Control frames MAY be injected in the middle of a fragmented message": handled here, now.
        if (op === OP_CLOSE) {
          this.closeFrame(buf, at, len, sink);
          return off;
        }
        sink.control(op, buf, at, len);
        continue;
      }
      if (b0 === 0x81 || b0 === 0x82) {
        // One frame, one message: handed on where it lies.
        // §8.1: text must be valid UTF-8 (1007 otherwise, §7.4.1).
        if (op === OP_TEXT && acc >= 0x80 && !isUtf8(buf, at, stop, this.scratch)) return this.fail(sink, CLOSE_BAD_DATA, "text message is not valid UTF-8");
        sink.message(buf, at, len, op === OP_BINARY, true);
        continue;
      }
      // RSV1 passed checkHeader only where permessage-deflate gives it its meaning: a compressed message.
      const z = (b0 & 0x40) !== 0;
      if (op !== OP_CONT && (b0 & 0x80) !== 0) {
        this.inflated(buf, at, len, op === OP_BINARY, sink);
        continue;
      }
      if (!this.piece(buf, at, len, acc, op, (b0 & 0x80) !== 0, z, sink)) return -1;
    }
    return off;
  }

  /** The rules of a frame header that is not the usual one; false once it broke one (the connection is failed). */
  private checkHeader(b0: number, b1: number, len: number, sink: WsSink): boolean {
    // §5.2: "the most significant bit MUST be 0" (of a 64-bit length: longLength returns -1 then).
    if (len < 0) return this.refuse(sink, CLOSE_PROTOCOL, "64-bit payload length with its most significant bit set");
    const op = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    // §5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an extension is negotiated that defines meanings for
    // non-zero values. If a nonzero value is received and none of the negotiated extensions defines the meaning
    // of such a nonzero value, the receiving endpoint MUST _Fail the WebSocket Connection_."
    // RFC 7692 §6: permessage-deflate gives RSV1 a meaning ("Per-Message Compressed") on the first frame of a data
    // message only; RSV1 on a continuation or control frame, RSV2 and RSV3 stay errors.
    const rsv = b0 & 0x70;
    const z = rsv === 0x40 && this.deflate && op !== OP_CONT && op < OP_CLOSE;
    if (rsv !== 0 && !z) return this.refuse(sink, CLOSE_PROTOCOL, this.deflate ? "reserved bits set where permessage-deflate gives them no meaning" : "reserved bits set without an extension");
    // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."
    if ((op > OP_BINARY && op < OP_CLOSE) || op > OP_PONG) return this.refuse(sink, CLOSE_PROTOCOL, `unknown opcode ${op}`);
    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked. In this case, a server
    // MAY send a Close frame with a status code of 1002 (protocol error)."
    if ((b1 & 0x80) === 0) return this.refuse(sink, CLOSE_PROTOCOL, "client frame not masked");
    if (op >= OP_CLOSE) {
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
      if (len > 125) return this.refuse(sink, CLOSE_PROTOCOL, "control frame longer than 125 bytes");
      if (!fin) return this.refuse(sink, CLOSE_PROTOCOL, "fragmented control frame");
    } else if (op === OP_CONT) {
      // §5.4: a continuation frame continues a message that a non-final text or binary frame began.
      if (this.fragOp === 0) return this.refuse(sink, CLOSE_PROTOCOL, "continuation frame without a message to continue");
      if (this.fragLen + len > this.maxMessage) return this.refuse(sink, CLOSE_TOO_BIG, `message larger than ws.max_message_bytes (${this.maxMessage})`);
    } else {
      // §5.4: "The fragments of one message MUST NOT be interleaved between the fragments of another message".
      if (this.fragOp !== 0) return this.refuse(sink, CLOSE_PROTOCOL, "new data frame in the middle of a fragmented message");
      // §7.4.1: 1009 "indicates that an endpoint is terminating the connection because it has received a message
      // that is too big for it to process".
      if (len > this.maxMessage) return this.refuse(sink, CLOSE_TOO_BIG, `message larger than ws.max_message_bytes (${this.maxMessage})`);
    }
    return true;
  }

  /**
   * One fragment (unmasked at buf[at..at+len), `acc` its bytes ORed): gathered, its text checked, and the message
   * handed on after its final one. False once the connection is failed.
   */
  private piece(buf: Uint8Array, at: number, len: number, acc: number, op: number, fin: boolean, z: boolean, sink: WsSink): boolean {
    if (op !== OP_CONT) {
      this.fragOp = op;
      this.fragLen = 0;
      this.fragZ = z;
      this.text.reset();
    }
    // Text is checked piece by piece, so invalid UTF-8 fails the connection at the fragment that carries it
    // (a compressed message once inflated). An ASCII piece needs no check unless a code point is left half done.
    if (this.fragOp === OP_TEXT && !this.fragZ && (acc >= 0x80 || !this.text.complete) && !this.text.update(buf, at, at + len)) return this.refuse(sink, CLOSE_BAD_DATA, "text message is not valid UTF-8");
    this.gather(buf, at, len);
    if (!fin) return true;
    const binary = this.fragOp === OP_BINARY;
    const n = this.fragLen;
    if (this.fragZ) {
      this.fragOp = 0;
      this.fragLen = 0;
      this.inflated(this.frag!, 0, n, binary, sink);
      return true;
    }
    if (this.fragOp === OP_TEXT && !this.text.complete) return this.refuse(sink, CLOSE_BAD_DATA, "text message ends inside a UTF-8 sequence");
    this.fragOp = 0;
    this.fragLen = 0;
    const f = this.frag!;
    if (f.length > FRAG_KEEP) this.frag = null; // do not keep a large buffer on an idle connection
    sink.message(f, 0, n, binary, false);
    return true;
  }

  /** A compressed message (RFC 7692 §7.2.2): inflated within ws.max_message_bytes, then checked and handed on. */
  private inflated(buf: Uint8Array, start: number, len: number, binary: boolean, sink: WsSink): void {
    const m = inflateMessage(buf.subarray(start, start + len), this.maxMessage);
    if (typeof m === "number") {
      if (m === CLOSE_TOO_BIG) return void this.fail(sink, m, `message inflates past ws.max_message_bytes (${this.maxMessage})`);
      return void this.fail(sink, CLOSE_BAD_DATA, "compressed message is not valid DEFLATE data");
    }
    if (!binary && !isUtf8(m, 0, m.length, this.scratch)) return void this.fail(sink, CLOSE_BAD_DATA, "text message is not valid UTF-8");
    sink.message(m, 0, m.length, binary, false);
  }

  private gather(buf: Uint8Array, start: number, len: number): void {
    const need = this.fragLen + len;
    let f = this.frag;
    if (f === null || f.length < need) {
      const grown = new Uint8Array(Math.min(this.maxMessage, Math.max(need, 1024, f === null ? 0 : f.length * 2)));
      if (f !== null && this.fragLen > 0) grown.set(f.subarray(0, this.fragLen), 0);
      this.frag = f = grown;
    }
    f.set(buf.subarray(start, start + len), this.fragLen);
    this.fragLen = need;
  }

  private closeFrame(buf: Uint8Array, start: number, len: number, sink: WsSink): void {
    this.done = true;
    // §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer ... representing
    // a status code"; a body of one byte cannot hold it.
    if (len === 0) return sink.peerClose(CLOSE_NO_STATUS, buf, start, 0);
    if (len === 1) return void this.fail(sink, CLOSE_PROTOCOL, "close frame with a one-byte body");
    const code = (buf[start]! << 8) | buf[start + 1]!;
    if (!validCloseCode(code)) return void this.fail(sink, CLOSE_PROTOCOL, `invalid close code ${code}`);
    // §5.5.1: the reason "is not guaranteed to be human readable" but it is UTF-8 ("the data MUST be UTF-8").
    if (!isUtf8(buf, start + 2, start + len, this.scratch)) return void this.fail(sink, CLOSE_BAD_DATA, "close reason is not valid UTF-8");
    sink.peerClose(code, buf, start + 2, len - 2);
  }

  private fail(sink: WsSink, code: number, why: string): number {
    this.done = true;
    sink.error(code, why);
    return -1;
  }

  /** fail() for the methods that answer true or false. */
  private refuse(sink: WsSink, code: number, why: string): boolean {
    this.fail(sink, code, why);
    return false;
  }
}

/** A 16-bit (len 126) or 64-bit (127) payload length of the header at buf[off]; -1 when the 64-bit one has its top bit set. */
function longLength(buf: Uint8Array, off: number, len: number): number {
  if (len === 126) return (buf[off + 2]! << 8) | buf[off + 3]!;
  const hi = ((buf[off + 2]! << 24) | (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!) >>> 0;
  if (hi >= 0x80000000) return -1;
  return hi * 0x100000000 + (((buf[off + 6]! << 24) | (buf[off + 7]! << 16) | (buf[off + 8]! << 8) | buf[off + 9]!) >>> 0);
}

/**
 * Unmasks the payload at buf[at+d..stop+d) (key at buf[k..k+4)) into buf[at..stop) a byte at a time; returns its
 * bytes ORed (≥ 0x80: not ASCII). The unrolled loop reads each byte before the write below it (d ≥ 4).
 */
function unmaskBytes(buf: Uint8Array, k: number, at: number, stop: number, d: number): number {
  const m0 = buf[k]!, m1 = buf[k + 1]!, m2 = buf[k + 2]!, m3 = buf[k + 3]!;
  let acc = 0;
  let i = at;
  for (; i + 4 <= stop; i += 4) {
    const a = buf[i + d]! ^ m0, b = buf[i + d + 1]! ^ m1, c = buf[i + d + 2]! ^ m2, e = buf[i + d + 3]! ^ m3;
    buf[i] = a;
    buf[i + 1] = b;
    buf[i + 2] = c;
    buf[i + 3] = e;
    acc |= a | b | c | e;
  }
  if (i < stop) acc |= buf[i] = buf[i + d]! ^ m0;
  if (i + 1 < stop) acc |= buf[i + 1] = buf[i + d + 1]! ^ m1;
  if (i + 2 < stop) acc |= buf[i + 2] = buf[i + d + 2]! ^ m2;
  return acc;
}

/**
 * The same pass a 32-bit word at a time (d a multiple of 4, so source and destination words are aligned together):
 * bytes up to the first aligned word, the words with the key turned to start there (little-endian: the byte at the
 * lowest address is the word's low byte; every platform Bun runs on), then the bytes after the last whole word. The
 * words' high bits are gathered apart and folded into the byte result (0x80 when any byte had its top bit set).
 */
function unmaskWords(buf: Uint8Array, w32: Int32Array, k: number, at: number, stop: number, d: number): number {
  const m0 = buf[k]!, m1 = buf[k + 1]!, m2 = buf[k + 2]!, m3 = buf[k + 3]!;
  const key = m0 | (m1 << 8) | (m2 << 16) | (m3 << 24);
  let acc = 0;
  let i = at;
  // At most 3 bytes before the first aligned word: bytes 0, 1, 2 of the payload take key bytes m0, m1, m2.
  if ((i & 3) !== 0) acc |= buf[i] = buf[i + d]! ^ m0, i++;
  if ((i & 3) !== 0) acc |= buf[i] = buf[i + d]! ^ m1, i++;
  if ((i & 3) !== 0) acc |= buf[i] = buf[i + d]! ^ m2, i++;
  // The word at i starts at key byte r = i - at: rotate the key right by r bytes.
  const r = (i - at) << 3;
  const kw = r === 0 ? key : (key >>> r) | (key << (32 - r));
  const dw = d >> 2;
  const we = stop >> 2;
  let hi = 0;
  let j = i >> 2;
  for (; j < we; j++) {
    const v = w32[j + dw]! ^ kw;
    w32[j] = v;
    hi |= v;
  }
  i = j << 2;
  // Up to 3 bytes after the last whole word, with the key bytes that follow the words' (from kw: the key in the buffer
  // may be overwritten by now, the payload moves down over it).
  for (let t = 0; i < stop; i++, t += 8) acc |= buf[i] = buf[i + d]! ^ ((kw >>> t) & 0xff);
  return (hi & 0x80808080) !== 0 ? acc | 0x80 : acc;
}
