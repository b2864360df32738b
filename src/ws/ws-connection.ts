/**
 * @module ws/ws-connection
 * One WebSocket connection after its upgrade (the HTTP connection hands its socket over: http/http-connection.ts).
 * It is a TCP connection underneath — the same cork, output queue, high water, ordered reply line, pool records and
 * push — with WebSocket framing on both sides: reads go through the frame reader (ws-frame-reader.ts) in place in
 * the thread's input buffer, each message is a packet for `proc` (or several, cut by `check`), and every reply or
 * push leaves as one frame, its header written next to the payload in the cork (no allocation per reply); an echo
 * or a pong is framed where it lies in the input buffer (replyRange, control). It also carries the close handshake
 * (§7), automatic pings and the idle and close timeouts.
 */
import { S_ERR_BAD_DATA, S_ERR_HANDLER } from "../stats/stat-fields.ts";
import type { PushData, WebSocketHooks } from "../module/types.ts";
import type { StreamConnection, StreamService } from "../io/stream-connection.ts";
import { TcpConnection } from "../io/tcp/tcp-connection.ts";
import { appendKept, keepRest } from "../io/tcp/kept-input.ts";
import type { LineOut } from "../io/tcp/reply-line.ts";
import { words } from "../io/io-context.ts";
import { CLOSE_BAD_DATA, CLOSE_GOING_AWAY, CLOSE_INTERNAL, CLOSE_NORMAL, CLOSE_POLICY, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, WsFrameReader, type WsSink } from "./ws-frame-reader.ts";
import { RSV1, closePayload, frame, headerInto, headerLength } from "./ws-frame-writer.ts";
import { DEFLATE_MIN_BYTES, deflateMessage, type DeflateParams } from "./ws-deflate.ts";
import { sharedDeflatedFrame, sharedFrame } from "./ws-frame-cache.ts";

export interface WsService extends StreamService {
  readonly hooks: WebSocketHooks<unknown> | undefined;
  readonly maxMessage: number;
  readonly idleMs: number;
  readonly pingMs: number;
  readonly closeMs: number;
  /** ws.deflate: permessage-deflate is offered back to clients that ask for it (ws-deflate.ts). */
  readonly deflate: boolean;
}

type Check = (buf: Uint8Array, start: number, end: number, conn: unknown) => number;

const H = new Uint8Array(10);
const dec = new TextDecoder();
export class WsConnection extends TcpConnection implements WsSink {
  override get protocol(): "ws" {
    return "ws";
  }
  private readonly reader: WsFrameReader;
  private readonly ws: WsService;
  private readonly check: Check | undefined;
  /** The close frame to send once nothing is owed (0 = not closing), its reason, and whether to wait for the peer's. */
  private closeCode = 0;
  private closeWhy: string | Uint8Array = "";
  private waitPeer = false;
  private closeSent = false;
  private closeDeadline = 0;
  /** The peer's close frame arrived (its code and reason, for the close hook; 1006 = none came). */
  private peerClosed = false;
  private peerCode = 1006;
  private peerReason = "";
  private lastRead: number;
  private lastPing = 0;
  private wsCloseDone = false;
  /** A kept input buffer (kept32Of) as 32-bit words, for the reader's word-at-a-time unmasking. */
  private kept32: Int32Array | null = null;
  private kept32Of: Uint8Array | null = null;
  /** While a whole message in place is with proc: its offset (an echo of it is framed where it lies), else -1. */
  private echoAt = -1;
  /** The opcode of the message being answered: its replies and pushes go as the same kind (replyOp). */
  private op = OP_TEXT;

  /** `deflate`: permessage-deflate as negotiated in the handshake (ws-deflate.ts), null when off. */
  constructor(prev: StreamConnection, service: WsService, readonly subprotocol: string | undefined, private readonly deflate: DeflateParams | null = null) {
    super(prev.socket as never, prev.io, service, prev.id);
    this.ws = service;
    this.reader = new WsFrameReader(service.maxMessage, deflate !== null);
    this.check = service.def.check as Check | undefined;
    this.lastRead = prev.io.clock;
    this.adopt(prev);
  }

  override get replyOp(): number { return this.op; }

  /** The line's replies are framed here (emit): a WebSocket is its own LineOut. */
  protected override get lineOut(): LineOut { return this; }

  // ---- reading ----

  onData(chunk: Uint8Array): void {
    if (this.stopReading) return;
    const io = this.io;
    const len = chunk.length;
    this.lastActive = this.lastRead = io.clock;
    this.countIn(len);
    let buf: Uint8Array;
    let end: number;
    if (this.keptLen === 0) {
      // The chunk is copied once into the thread's input buffer (never viewed: docs/platform-notes.md); frames are
      // parsed and unmasked there.
      buf = io.inBuf.length >= len ? io.inBuf : io.replaceInBuf(len);
      buf.set(chunk, 0);
      end = len;
    } else {
      end = this.keptLen + len;
      buf = appendKept(this, chunk);
    }
    this.run(buf, end);
  }

  /** Parses buf[0..end) in one event and keeps what is left (a frame not whole yet, or input held by a backlog). */
  private run(buf: Uint8Array, end: number): void {
    const io = this.io;
    io.events++;
    this.inEvent = true;
    const off = this.reader.consume(buf, 0, end, this, buf === io.inBuf ? io.inBuf32 : this.wordsOf(buf));
    this.inEvent = false;
    this.endEvent();
    if (this.closed || this.stopReading || off < 0 || this.reader.done) {
      this.keptInput = null;
      this.keptLen = 0;
    } else keepRest(this, buf, off, end);
    if (io.loaned) {
      // An async proc holds a view into this buffer: it lives until that settles, the thread takes a fresh one.
      this.line.chargeLoan(buf.length);
      if (buf === io.inBuf) io.replaceInBuf(0);
      this.reader.forgetFragBuffer();
      io.loaned = false;
    }
    if (this.backlogged) this.continueBacklog();
  }

  /** The word view of a kept input buffer, made once per buffer (null for one not word-aligned). */
  private wordsOf(buf: Uint8Array): Int32Array | null {
    if (buf === this.kept32Of) return this.kept32;
    if ((buf.byteOffset & 3) !== 0) return null;
    this.kept32Of = buf;
    return (this.kept32 = words(buf));
  }

  /** Messages held back by a backlog are answered once the output has drained. */
  protected override resumeBacklog(): void {
    if (this.stopReading || this.closed) return;
    this.backlogged = false;
    this.backlogCleared();
    if (this.keptLen > 0) this.run(this.keptInput!, this.keptLen);
  }

  // ---- WsSink: what the frame reader found ----

  message(buf: Uint8Array, off: number, len: number, binary: boolean, room: boolean): void {
    // After our close frame is out (or owed) no message is answered (§5.5.1: no data frames after a close frame).
    if (this.closeCode !== 0 || this.dropping) return;
    const op = binary ? OP_BINARY : OP_TEXT;
    this.op = op;
    const check = this.check;
    if (check === undefined) {
      // An echo of this message (proc returned its packet) is framed in the room the reader left before it.
      this.echoAt = room && this.deflate === null ? off : -1;
      this.dispatch(buf, off, len);
      this.echoAt = -1;
    } else {
      // `check` may cut a message into packets; the end of the message ends its last packet.
      const end = off + len;
      while (off < end && !this.dropping && this.closeCode === 0) {
        let n: number;
        try {
          n = check(buf, off, end, this);
        } catch (err) {
          return this.failWith(CLOSE_POLICY, "check threw (bad data)", err);
        }
        if (n === 0 || n > end - off) n = end - off;
        else if (!(n > 0)) return this.failWith(CLOSE_POLICY, `check reported bad data (${n})`);
        this.dispatch(buf, off, n);
        off += n;
      }
    }
    if (this.io.cork.size + this.queuedBytes > this.service.highWater) {
      // As on TCP: stop answering once this event's output passes high water; the rest waits until the client reads.
      this.backlogged = true;
      this.reader.halt = true;
    }
  }

  /** One message (or packet of one), buf[off..off+n), to the module's backend (io/backend.ts); its reply is framed by `reply`. */
  private dispatch(buf: Uint8Array, off: number, n: number): void {
    this.countPacket();
    const packet = buf === this.io.inBuf ? this.io.packetView(off, n) : buf.subarray(off, off + n);
    this.service.backend.packet(this, packet, buf, off, n);
  }

  control(opcode: number, buf: Uint8Array, off: number, len: number): void {
    // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response ... [with] identical
    // Application data"; answered in line with the replies of this read, framed where the ping's payload lies (the
    // reader leaves 2 bytes of room before it). §5.5.3: an unsolicited pong needs no answer.
    if (opcode !== OP_PING || this.closeSent) return;
    const n = headerInto(buf, off - 2, OP_PONG, len);
    this.io.cork.addRange(buf, off - n, n + len);
  }

  peerClose(code: number, buf: Uint8Array, off: number, len: number): void {
    this.peerClosed = true;
    this.peerCode = code;
    this.peerReason = dec.decode(buf.subarray(off, off + len));
    this.because("peer");
    // §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame, the endpoint MUST
    // send a Close frame in response. (When sending a Close frame in response, the endpoint typically echos the
    // status code it received.)" It may finish the message it is sending first: owed replies go out before it.
    this.startClose(code, buf.slice(off, off + len), false);
    this.stopReading = true;
  }

  error(code: number, why: string): void {
    this.failWith(code, why);
  }

  /** §7.1.7 Fail the WebSocket Connection: a close frame with the code, then the TCP connection is closed. */
  private failWith(code: number, why: string, err?: unknown): void {
    this.io.stats[S_ERR_BAD_DATA]++;
    this.because("bad_data");
    this.io.noisy.warn(`WebSocket: ${why}; closing with ${code}`, { module: this.service.def.name, conn: this.id, remote: `${this.remoteAddress}:${this.remotePort}` }, err);
    this.dropping = true;
    this.stopReading = true;
    this.startClose(code, why, false);
  }

  // ---- writing: every reply and push is a frame ----

  override reply(r: Uint8Array | string): void {
    if (this.owedNow) this.line.hold(r, this.replyOp);
    else this.emit(r, this.replyOp);
  }

  /**
   * proc answered with its packet, buf[off..off+n). A whole message the reader left room before (echoAt) is framed
   * there: its header is written into the room and the frame joins the cork as a range of the input buffer, so the
   * echoes of one read leave in one write with no copy (io/cork.ts). Anything else is framed as any reply is.
   */
  override replyRange(r: Uint8Array, buf: Uint8Array, off: number, n: number): void {
    if (off !== this.echoAt || this.lineRead.owed !== 0 || this.closeSent || !this.inEvent) return this.reply(r);
    const h = headerLength(n);
    headerInto(buf, off - h, this.replyOp, n);
    this.io.cork.addRange(buf, off - h, h + n);
  }

  /**
   * A topic delivery outside this connection's events with nothing owed: every WebSocket subscriber after the first
   * of one publish finds its frame in the push batch already (PushBatch#addSameFramed) and joins its share there
   * without the general push and emit (TcpConnection#push, emit), bounded as any push (idlePushTaken). Anything else
   * (a string, a reply owed, closing, a connection that compresses, the first subscriber) takes the general way.
   * The string test comes first: it narrows the message before any other read of it (a `length` of the union ahead
   * of it cost ~5 ns per delivery in bench/micro/pubsub-fanout.bench.ts); an empty message is never the batch's frame
   * (PushBatch#addFramed keeps no key for it), so it reaches the general way, which sends nothing.
   */
  override push(r: PushData): boolean {
    if (typeof r !== "string" && !this.inEvent && !this.closed && !this.closing && this.lineRead.owed === 0 && this.deflate === null) {
      if (this.io.batch.addSameFramed(this, r, this.replyOp, this.service.highWater)) return this.idlePushTaken();
    }
    return super.push(r);
  }

  /** A run's next message (push-batch.ts): framed as a push is, unless pushes go compressed here. */
  override runFrame(r: Uint8Array, h: Uint8Array): number {
    return this.deflate === null && !this.closeSent ? headerInto(h, 0, this.replyOp, r.length) : -1;
  }

  private get owedNow(): boolean {
    return this.lineRead.owed !== 0;
  }

  /**
   * One message of opcode `op`: header and payload into the cork during an event; otherwise into the thread's push
   * batch (io/push-batch.ts: a publish is framed there once for all its subscribers), or as one frame written now
   * when it is too large to batch.
   */
  override emit(r: Uint8Array | string, op: number): void {
    if (this.closeSent) return;
    // §5.6: text frames carry UTF-8; a string is always sent as text, bytes as the type of the client's last message.
    if (typeof r === "string") op = OP_TEXT;
    // permessage-deflate: a message of DEFLATE_MIN_BYTES or more goes compressed (RSV1), a shorter one as it is.
    if (this.deflate !== null && r.length >= DEFLATE_MIN_BYTES) return this.emitDeflated(r, op, this.deflate);
    const batch = this.io.batch;
    // The second and later subscribers of one publish: the frame is in the batch already, nothing to make.
    if (!this.inEvent && batch.addSameFramed(this, r, op, this.service.highWater)) return;
    const n = headerInto(H, 0, op, typeof r === "string" ? Buffer.byteLength(r, "utf8") : r.length);
    if (this.inEvent) {
      this.io.cork.addWithHeader(H, n, r);
      return;
    }
    if (batch.addFramed(this, r, op, H, n, this.service.highWater)) return;
    if (typeof r === "string") return this.writeBytesAll(frame(op, r));
    this.writeBytesAll(sharedFrame(op, r, this.io.batch.loop));
  }

  private emitDeflated(r: Uint8Array | string, op: number, p: DeflateParams): void {
    if (this.inEvent) {
      const z = deflateMessage(r, p);
      const n = headerInto(H, 0, op, z.length);
      H[0] |= RSV1;
      this.io.cork.addWithHeader(H, n, z);
      return;
    }
    // Compressed once per publish and window size (ws-frame-cache.ts); the same frame object batches as one copy.
    const f = typeof r === "string" ? frame(op, deflateMessage(r, p), RSV1) : sharedDeflatedFrame(op, r, p, this.io.batch.loop);
    if (!this.io.batch.add(this, f, this.service.highWater)) this.writeBytesAll(f);
  }

  private writeBytesAll(f: Uint8Array): void {
    this.writeBytes(f, 0, f.length);
  }

  // ---- closing (§7) ----

  /** The module closes: a close frame (1000) after the replies owed, then the client's close frame is waited for. */
  override close(): void {
    this.because("module");
    this.startClose(CLOSE_NORMAL, "", true);
  }

  override fail(message: string, err?: unknown, kind = S_ERR_BAD_DATA): void {
    if (this.closeCode === 0) this.closeCode = kind === S_ERR_HANDLER ? CLOSE_INTERNAL : CLOSE_POLICY;
    super.fail(message, err, kind);
  }

  /** Drain (stop or reload): 1001 "going away" (§7.4.1), the client reconnects elsewhere. */
  override closeWhenDone(): void {
    this.because("draining");
    this.startClose(CLOSE_GOING_AWAY, "server going away", true);
  }

  override moveOn(): void {
    this.closeWhenDone();
  }

  override onPeerEnd(): void {
    this.because("peer");
    this.peerClosed = true; // FIN without a close frame: nothing more will come (the hook sees 1006)
    this.stopReading = true;
    this.startClose(CLOSE_NORMAL, "", false);
  }

  private startClose(code: number, why: string | Uint8Array, waitPeer: boolean): void {
    if (this.closeCode === 0) {
      this.closeCode = code;
      this.closeWhy = why;
    }
    if (!this.closing) this.waitPeer = waitPeer && !this.peerClosed;
    this.closing = true;
    this.maybeFinish();
  }

  override maybeFinish(): void {
    if (!this.closing || this.closed || this.inEvent || this.busy()) return;
    if (!this.closeSent) {
      if (this.closeCode === 0) this.closeCode = CLOSE_NORMAL;
      const f = frame(OP_CLOSE, closePayload(this.closeCode, this.closeWhy));
      this.writeBytesAll(f);
      this.closeSent = true;
      this.closeDeadline = this.io.clock + this.ws.closeMs;
      if (this.ws.closeMs === 0) this.waitPeer = false;
    }
    // §7.1.1: "the underlying TCP connection, in most normal cases, SHOULD be closed first by the server".
    if (this.waitPeer && !this.peerClosed) return;
    if (this.queuedBytes > 0) return; // outputEmpty comes back here
    this.socket.end();
  }

  override tick(now: number): void {
    if (this.closed || this.cutIfUnread(now)) return;
    if (this.closeSent) {
      if (now >= this.closeDeadline) this.terminate("WebSocket close timeout");
      return;
    }
    if (this.closing) return;
    const { idleMs, pingMs } = this.ws;
    if (idleMs > 0 && now - this.lastRead >= idleMs && !this.busy()) {
      this.io.log.debug("WebSocket idle timeout", { conn: this.id });
      this.because("idle_timeout");
      this.startClose(CLOSE_GOING_AWAY, "idle timeout", false);
      return;
    }
    // §5.5.2: a ping "may serve either as a keepalive or as a means to verify that the remote endpoint is still responsive".
    if (pingMs > 0 && now - this.lastRead >= pingMs && now - this.lastPing >= pingMs) {
      this.lastPing = now;
      const n = headerInto(H, 0, OP_PING, 0);
      this.writeBytes(H.slice(0, n), 0, n);
    }
  }

  protected override runCloseHook(): void {
    if (!this.wsCloseDone) {
      this.wsCloseDone = true;
      const hook = this.ws.hooks?.close;
      // On the I/O thread in pool mode too, like websocket.upgrade and open (they run where the socket is).
      if (hook !== undefined) {
        try {
          hook(this, this.peerCode, this.peerReason);
        } catch (err) {
          this.io.noisy.error("websocket.close hook threw", { module: this.service.def.name, conn: this.id }, err);
        }
      }
    }
    super.runCloseHook();
  }

  /** The module's `websocket.open` (after the 101 is out), then the bytes that came with the upgrade request. */
  start(rest: Uint8Array | null): void {
    const open = this.ws.hooks?.open;
    if (open !== undefined) {
      try {
        open(this);
      } catch (err) {
        this.fail("websocket.open threw; closing connection", err, S_ERR_HANDLER);
        return;
      }
    }
    if (rest !== null && rest.length > 0 && !this.closing) this.onData(rest);
  }
}
