/**
 * @module module/hook-calls
 * The module's connection hooks, called in one place for every transport and both backends: `accept` and `close` of
 * a connection, `proc` for a packet, `draining`, and what a Promise of a reply settled with. The rules of what each
 * may return are hook-results.ts; what becomes of an answer is the caller's `ReplyTarget` (the inline backend: the
 * connection's reply line, inline/inline-backend.ts; a handler thread: REPLY records, pool/handler-replies.ts; UDP:
 * datagrams, io/udp/udp-replies.ts; binary over HTTP: the response body, http/binary-over-http.ts). So a hook that
 * throws, returns a wrong type or calls drop() is treated alike on TCP, TLS, WebSocket, UDP, binary over HTTP and
 * the pool, and the failure reads the same in every log line.
 *
 * Hot path: `callProc` is one call of the hook in a try, a typeof test and one call into the target (or, for an echo,
 * none: the caller's); it allocates
 * nothing (a target is one object per module, listener or link, made before the first packet).
 */
import type { RateLimitedLog } from "../log/logger.ts";
import { REPLY_BAD, REPLY_LATER, REPLY_NONE, badReply, badReplyMessage, replyKind, settledReplyKind } from "./hook-results.ts";
import type { Conn, ModuleDefinition, Reply } from "./types.ts";

/** The hooks that answer with a reply. */
export type ReplyHook = "proc" | "draining";

/** How a hook that replies failed (`ReplyTarget.failed`): the hook threw (`cause`: what it threw). */
export const HOOK_THREW = 0;
/** Its Promise rejected (`cause`: the reason). */
export const HOOK_REJECTED = 1;
/** It returned something that is not a reply (`cause`: the value). */
export const HOOK_RETURNED_BAD = 2;
/** Its Promise resolved to something that is not a reply (`cause`: the value). */
const HOOK_RESOLVED_BAD = 3;

/** A connection as the hook calls read it after a hook ran: drop() was called (its answer is discarded). */
export interface DropState {
  readonly dropping: boolean;
}

/** Where the answers of a hook that replies go; `C` is what the transport calls a connection. */
export interface ReplyTarget<C> {
  /** A reply ready now: bytes, or a string (sent as UTF-8). */
  reply(c: C, r: Uint8Array | string): void;
  /** `proc` answered with its own packet, buf[off..off+n) (or buf itself): a transport may send it without a copy. */
  echo(c: C, packet: Uint8Array, buf: Uint8Array, off: number, n: number): void;
  /** A Promise of a reply: the target waits for it (and hands what it settles with to `settleReply`). */
  later(c: C, p: PromiseLike<Reply>, hook: ReplyHook): void;
  /** Nothing to send for this call: the hook answered nothing, or called drop() (`c.dropping`). */
  none(c: C): void;
  /** The hook failed (`how`: HOOK_*); `failureLine` and `failureError` say it the same way everywhere. */
  failed(c: C, hook: ReplyHook, how: number, cause: unknown): void;
}

export type ProcHook = (packet: Uint8Array, conn: never) => unknown;
export type DrainingHook = (conn: never) => unknown;

/**
 * Calls `proc(packet, c)` and hands its answer to `out`, except when proc answered with its packet: then it returns
 * true and the caller hands it to `out.echo` (with where the packet lies). Every caller does it as
 * `if (callProc(out, proc, c, packet)) out.echo(c, packet, buf, off, n)`: the echo, the common reply of a TCP proxy or
 * echo, is then one call less deep, and the JIT inlines only a few calls deep (frame, backend, here, the echo, the
 * connection's reply: the cork was a call of its own per packet).
 */
export function callProc<C extends DropState>(out: ReplyTarget<C>, proc: ProcHook, c: C, packet: Uint8Array): boolean {
  let r: unknown;
  try {
    r = proc(packet, c as never);
  } catch (err) {
    out.failed(c, "proc", HOOK_THREW, err);
    return false;
  }
  if (c.dropping) out.none(c);
  else if (r === packet) return true;
  else route(out, c, "proc", r);
  return false;
}

/** Calls `draining(c)` (the drain began) and hands its answer to `out`, as a packet's. */
export function callDraining<C extends DropState>(out: ReplyTarget<C>, draining: DrainingHook, c: C): void {
  let r: unknown;
  try {
    r = draining(c as never);
  } catch (err) {
    out.failed(c, "draining", HOOK_THREW, err);
    return;
  }
  if (c.dropping) out.none(c);
  else route(out, c, "draining", r);
}

function route<C>(out: ReplyTarget<C>, c: C, hook: ReplyHook, r: unknown): void {
  const k = replyKind(r);
  if (k === REPLY_NONE) out.none(c);
  else if (k === REPLY_LATER) out.later(c, r as PromiseLike<Reply>, hook);
  else if (k === REPLY_BAD) out.failed(c, hook, HOOK_RETURNED_BAD, r);
  else out.reply(c, r as Uint8Array | string);
}

/** A Promise `later` was given resolved with `v`: a reply, nothing, or (anything else) the hook's failure. */
export function settleReply<C>(out: ReplyTarget<C>, c: C, hook: ReplyHook, v: unknown): void {
  const k = settledReplyKind(v);
  if (k === REPLY_NONE) out.none(c);
  else if (k === REPLY_BAD) out.failed(c, hook, HOOK_RESOLVED_BAD, v);
  else out.reply(c, v as Uint8Array | string);
}

/** The log line for a failure (the caller adds what follows: "; closing connection", "; reply dropped"). */
export function failureLine(hook: ReplyHook, how: number, cause: unknown): string {
  if (how === HOOK_THREW) return `${hook} threw`;
  if (how === HOOK_REJECTED) return `${hook} rejected`;
  return badReplyMessage(hook, cause, how === HOOK_RESOLVED_BAD);
}

/** What the hook threw or rejected with, to log beside the line; nothing for a bad result (the line says it all). */
export function failureCause(how: number, cause: unknown): unknown {
  return how === HOOK_THREW || how === HOOK_REJECTED ? cause : undefined;
}

/** The failure as an error, where one is thrown or sent on (a bad result: a TypeError with GRK_ERR_PROC_RESULT). */
export function failureError(hook: ReplyHook, how: number, cause: unknown): unknown {
  return how === HOOK_THREW || how === HOOK_REJECTED ? cause : badReply(hook, cause, how === HOOK_RESOLVED_BAD);
}

/** `accept` let the connection in (its state is set). */
export const ACCEPTED = 0;
/** `accept` returned false. */
const REFUSED = 1;
/** `accept` threw: refused, logged here; the caller counts it as a handler error where the connection lives. */
export const ACCEPT_THREW = 2;

/** Runs the module's `accept` for `c` (a module without one accepts everything): ACCEPTED, REFUSED or ACCEPT_THREW. */
export function callAccept(def: ModuleDefinition<unknown>, c: Conn<unknown>, noisy: RateLimitedLog): number {
  const accept = def.accept;
  if (accept === undefined) return ACCEPTED;
  let r: unknown;
  try {
    r = accept(c as Conn<undefined>);
  } catch (err) {
    noisy.error("accept threw; connection refused", { module: def.name, conn: c.id }, err);
    return ACCEPT_THREW;
  }
  if (r === false) return REFUSED;
  c.state = r;
  return ACCEPTED;
}

/** Runs the module's `close` for `c` (once per accepted connection: the caller keeps that promise); a throw is logged. */
export function callClose(def: ModuleDefinition<unknown>, c: Conn<unknown>, noisy: RateLimitedLog): void {
  const close = def.close;
  if (close === undefined) return;
  try {
    close(c);
  } catch (err) {
    noisy.error("close hook threw", { module: def.name, conn: c.id }, err);
  }
}
