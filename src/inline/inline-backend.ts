/**
 * @module inline/inline-backend
 * The inline backend (`worker.disabled = true`, the default): the module's hooks run on the I/O thread, called for
 * every stream transport — accept, proc for each packet, draining, close — through module/hook-calls.ts (the same
 * calls and result rules a handler thread and a UDP listener use); this file routes the answers into the
 * connection's reply line (io/tcp/reply-line.ts): a ready reply straight to the cork, a Promise into a slot in packet
 * order. One object per module and thread; `packet` is the per-packet path: one call of the module's proc, no
 * allocation when it answers synchronously.
 */
import type { ModuleDefinition, Reply } from "../module/types.ts";
import {
  ACCEPT_THREW, ACCEPTED, callAccept, callClose, callDraining, callProc, failureCause, failureLine, type ProcHook, type ReplyHook, type ReplyTarget,
} from "../module/hook-calls.ts";
import type { Backend, BackendConn, DatagramProc, ModuleBackend, PacketConn } from "../io/backend.ts";
import type { IoContext } from "../io/io-context.ts";
import { S_ERR_HANDLER } from "../stats/stat-fields.ts";

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

class InlineModule implements ModuleBackend, ReplyTarget<PacketConn> {
  readonly inline = true;
  /** The module's proc (a module without one fails each packet as a throwing proc would; udp-listener.ts refuses it). */
  private readonly proc: ProcHook;

  constructor(
    private readonly io: IoContext,
    private readonly def: ModuleDefinition<unknown>,
  ) {
    this.proc = def.proc as ProcHook;
  }

  open(c: BackendConn): boolean {
    const r = callAccept(this.def, c, this.io.noisy);
    if (r === ACCEPT_THREW) this.io.stats[S_ERR_HANDLER]++;
    return r === ACCEPTED;
  }

  packet(c: PacketConn, packet: Uint8Array, buf: Uint8Array, off: number, n: number): void {
    if (callProc(this, this.proc, c, packet)) c.replyRange(packet, buf, off, n); // this.echo, one call less deep
  }

  draining(c: PacketConn): void {
    if (this.def.draining !== undefined) c.cork(this.runDraining, c);
  }

  private readonly runDraining = (c: PacketConn): void => callDraining(this, this.def.draining!, c);

  close(c: BackendConn): void {
    callClose(this.def, c, this.io.noisy);
  }

  adopt(from: BackendConn, to: BackendConn): void {
    to.state = from.state;
  }

  datagramProc(): DatagramProc {
    return this.def.proc as DatagramProc;
  }

  // ---- ReplyTarget: where the answers of proc and draining go (module/hook-calls.ts) ----

  reply(c: PacketConn, r: Uint8Array | string): void {
    c.reply(r);
  }

  echo(c: PacketConn, packet: Uint8Array, buf: Uint8Array, off: number, n: number): void {
    c.replyRange(packet, buf, off, n);
  }

  later(c: PacketConn, p: PromiseLike<Reply>, hook: ReplyHook): void {
    // A proc's Promise may hold a view of the read buffer (its packet); draining's holds none.
    c.replyLater(p, hook, hook === "proc");
  }

  none(): void {}

  failed(c: PacketConn, hook: ReplyHook, how: number, cause: unknown): void {
    c.handlerFailed(`${failureLine(hook, how, cause)}; closing connection`, failureCause(how, cause));
  }
}
