/**
 * @module http/binary-over-http
 * "Binary over HTTP", the original's unfinished plan: the body of a POST to `http.binary_path` is cut into packets by
 * the module's `check` and each packet answered by `proc`, exactly as on a TCP port (module/hook-calls.ts calls it
 * and checks what it returns, as for every transport); the replies, concatenated in order, are the response body.
 * One module thus serves the same logic over TCP and HTTP. A proc that throws or returns a wrong type fails the
 * request (500 through the caller's catch); a drop() ends it unanswered.
 */
import { callProc, failureError, settleReply, type ProcHook, type ReplyHook, type ReplyTarget } from "../module/hook-calls.ts";
import { badLengthMessage, isLength } from "../module/hook-results.ts";
import type { Conn, ModuleDefinition, Reply } from "../module/types.ts";

export type BinaryOutcome =
  /** `packets`: how many packets proc was given (statistics). */
  | { kind: "bytes"; bytes: Uint8Array; packets: number }
  | { kind: "later"; bytes: Promise<Uint8Array>; packets: number }
  | { kind: "bad"; why: string }
  | { kind: "dropped" };

type BinaryConn = Conn<unknown> & { readonly dropping: boolean; readonly closeRequested: boolean };

/**
 * Where one request's replies are collected while its packets are handled (one for the thread: a run is synchronous
 * and no hook can start another, so `replies` and `async` belong to the run in progress).
 */
class BodyReplies implements ReplyTarget<BinaryConn> {
  replies: Array<Reply | PromiseLike<Reply>> = [];
  async = false;

  reply(_c: BinaryConn, r: Uint8Array | string): void {
    this.replies.push(r);
  }

  echo(_c: BinaryConn, packet: Uint8Array): void {
    this.replies.push(packet);
  }

  later(_c: BinaryConn, p: PromiseLike<Reply>): void {
    this.replies.push(p);
    this.async = true;
  }

  none(): void {}

  failed(_c: BinaryConn, hook: ReplyHook, how: number, cause: unknown): never {
    throw failureError(hook, how, cause);
  }
}

/** The settled replies as parts of the body (the target of a settled Promise's value: `c` is the parts list). */
const bodyParts: ReplyTarget<Uint8Array[]> = {
  reply(parts, r) {
    parts.push(typeof r === "string" ? Buffer.from(r, "utf8") : r);
  },
  echo(parts, packet) {
    parts.push(packet);
  },
  later() {}, // a settled value is never a Promise (hook-results.ts settledReplyKind)
  none() {},
  failed(_parts, hook, how, cause) {
    throw failureError(hook, how, cause);
  },
};

const collected = new BodyReplies();

const NO_REPLIES: Array<Reply | PromiseLike<Reply>> = [];

/** `conn.closeRequested`: the module called close() (or drop()): later packets are not processed, as on TCP. */
export function runBinaryOverHttp(def: ModuleDefinition<unknown>, conn: BinaryConn, body: Uint8Array): BinaryOutcome {
  const check = def.check;
  const proc = def.proc as ProcHook;
  const replies: Array<Reply | PromiseLike<Reply>> = [];
  collected.replies = replies;
  collected.async = false;
  try {
    let packets = 0;
    let off = 0;
    while (off < body.length) {
      const avail = body.length - off;
      let n: number;
      try {
        n = check === undefined ? avail : check(body, off, body.length, conn);
      } catch (err) {
        return { kind: "bad", why: `check threw: ${err instanceof Error ? err.message : String(err)}` };
      }
      // The same rule as on TCP (module/hook-results.ts): 1.5 or "4" would cut the body between bytes.
      if (!isLength(n)) return { kind: "bad", why: badLengthMessage(n) };
      if (n === 0 || n > avail) return { kind: "bad", why: `the body ends inside a packet (${avail} bytes left over)` };
      if (!(n > 0)) return { kind: "bad", why: `check reported bad data (${n})` };
      const packet = body.subarray(off, off + n);
      if (callProc(collected, proc, conn, packet)) collected.echo(conn, packet);
      if (conn.dropping) return { kind: "dropped" };
      packets++;
      off += n;
      if (conn.closeRequested) break;
    }
    if (!collected.async) return { kind: "bytes", bytes: concatReplies(replies as Reply[]), packets };
    return { kind: "later", bytes: Promise.all(replies).then(concatReplies), packets };
  } finally {
    collected.replies = NO_REPLIES; // the body's views go with the request
  }
}

function concatReplies(replies: readonly Reply[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const r of replies) settleReply(bodyParts, parts, "proc", r);
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const b of parts) n += b.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const b of parts) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}
