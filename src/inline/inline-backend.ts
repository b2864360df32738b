/**
 * @module inline/inline-backend
 * The inline backend (`worker.disabled = true`, the default): the module's hooks run on the I/O thread, called here
 * for every stream transport — accept, proc for each packet, draining, close — with what each may return checked in
 * one place (module/hook-results.ts) and routed into the connection's reply line (io/tcp/reply-line.ts): a ready
 * reply straight to the cork, a Promise into a slot in packet order. One object per module and thread; `packet` is
 * the per-packet path: one call of the module's proc, no allocation when it answers synchronously.
 */
import type { Conn, ModuleDefinition, Reply } from "../module/types.ts";
import { REPLY_BAD, REPLY_LATER, REPLY_NONE, badReplyMessage, replyKind } from "../module/hook-results.ts";
import type { Backend, BackendConn, DatagramProc, ModuleBackend, PacketConn } from "../io/backend.ts";
import type { IoContext } from "../io/io-context.ts";
import { S_ERR_HANDLER } from "../stats/stat-fields.ts";

type Proc = (packet: Uint8Array, conn: Conn<unknown>) => unknown;

export class InlineBackend implements Backend {
  constructor(private readonly io: IoContext) {}

  forModule(def: ModuleDefinition<unknown>): ModuleBackend {
    return new InlineModule(this.io, def);
  }

  queued(): null {
    return null;
  }

  async stop(): Promise<void> {}
}

class InlineModule implements ModuleBackend {
  readonly inline = true;
  /** The module's proc (a module without one fails each packet as a throwing proc would; udp-listener.ts refuses it). */
  private readonly proc: Proc;

  constructor(
    private readonly io: IoContext,
    private readonly def: ModuleDefinition<unknown>,
  ) {
    this.proc = def.proc as Proc;
  }

  open(c: BackendConn): boolean {
    const accept = this.def.accept;
    if (accept === undefined) return true;
    let r: unknown;
    try {
      r = accept(c as Conn<undefined>);
    } catch (err) {
      this.io.noisy.error("accept threw; connection refused", { module: this.def.name, conn: c.id }, err);
      this.io.stats[S_ERR_HANDLER]++;
      return false;
    }
    if (r === false) return false;
    c.state = r;
    return true;
  }

  packet(c: PacketConn, packet: Uint8Array, buf: Uint8Array, off: number, n: number): void {
    let r: unknown;
    try {
      r = this.proc(packet, c);
    } catch (err) {
      c.handlerFailed("proc threw; closing connection", err);
      return;
    }
    if (c.dropping) return;
    if (r === packet) {
      c.replyRange(packet, buf, off, n);
      return;
    }
    const k = replyKind(r);
    if (k === REPLY_NONE) return;
    if (k === REPLY_LATER) c.replyLater(r as PromiseLike<Reply>, "proc", true);
    else if (k === REPLY_BAD) c.handlerFailed(`${badReplyMessage("proc", r)}; closing connection`);
    else c.reply(r as Uint8Array | string);
  }

  draining(c: PacketConn): void {
    if (this.def.draining !== undefined) c.cork(this.runDraining, c);
  }

  private readonly runDraining = (c: PacketConn): void => {
    let r: unknown;
    try {
      r = this.def.draining!(c);
    } catch (err) {
      c.handlerFailed("draining threw; closing connection", err);
      return;
    }
    if (c.dropping) return;
    const k = replyKind(r);
    if (k === REPLY_NONE) return;
    if (k === REPLY_LATER) c.replyLater(r as PromiseLike<Reply>, "draining", false);
    else if (k === REPLY_BAD) c.handlerFailed(`${badReplyMessage("draining", r)}; closing connection`);
    else c.reply(r as Uint8Array | string);
  };

  close(c: BackendConn): void {
    const close = this.def.close;
    if (close === undefined) return;
    try {
      close(c);
    } catch (err) {
      this.io.noisy.error("close hook threw", { module: this.def.name, conn: c.id }, err);
    }
  }

  adopt(from: BackendConn, to: BackendConn): void {
    to.state = from.state;
  }

  datagramProc(): DatagramProc {
    return this.def.proc as DatagramProc;
  }
}
