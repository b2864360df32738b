/**
 * @module http/binary-over-http
 * "Binary over HTTP", the original's unfinished plan: the body of a POST to `http.binary_path` is cut into packets by
 * the module's `check` and each packet answered by `proc`, exactly as on a TCP port; the replies, concatenated in
 * order, are the response body. One module thus serves the same logic over TCP and HTTP.
 */
import type { Conn, ModuleDefinition, Reply } from "../module/types.ts";
import { badLengthMessage, badReply, isLength, REPLY_BAD, REPLY_LATER, replyKind, settledReplyKind } from "../module/hook-results.ts";

export type BinaryOutcome =
  /** `packets`: how many packets proc was given (statistics). */
  | { kind: "bytes"; bytes: Uint8Array; packets: number }
  | { kind: "later"; bytes: Promise<Uint8Array>; packets: number }
  | { kind: "bad"; why: string }
  | { kind: "dropped" };

/** `conn.closeRequested`: the module called close() (or drop()): later packets are not processed, as on TCP. */
export function runBinaryOverHttp(def: ModuleDefinition<unknown>, conn: Conn<unknown> & { readonly dropping: boolean; readonly closeRequested: boolean }, body: Uint8Array): BinaryOutcome {
  const check = def.check;
  const proc = def.proc!;
  const replies: Array<Reply | PromiseLike<Reply>> = [];
  let async = false;
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
    const r = proc(body.subarray(off, off + n), conn);
    if (conn.dropping) return { kind: "dropped" };
    const kind = replyKind(r);
    // A reply of the wrong type is the module's error (500 through the caller's catch), not the client's bad data.
    if (kind === REPLY_BAD) throw badReply("proc", r);
    if (kind === REPLY_LATER) async = true;
    replies.push(r as Reply | PromiseLike<Reply>);
    off += n;
    if (conn.closeRequested) break;
  }
  if (!async) return { kind: "bytes", bytes: concatReplies(replies as Reply[]), packets: replies.length };
  return { kind: "later", bytes: Promise.all(replies).then(concatReplies), packets: replies.length };
}

function concatReplies(replies: readonly Reply[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let n = 0;
  for (const r of replies) {
    if (r === undefined || r === null) continue;
    if (settledReplyKind(r) === REPLY_BAD) throw badReply("proc", r, true);
    const b = typeof r === "string" ? Buffer.from(r, "utf8") : r;
    parts.push(b);
    n += b.length;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  let o = 0;
  for (const b of parts) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}
