/**
 * @module pool/serve-http
 * One HTTP request on a handler thread: routed like the inline server (binary over HTTP, the `http` or `fetch` hook
 * through the same fetch bridge as inline, 404/405), answered through a PooledResponse that sends records back. A
 * handler that throws, rejects or returns without answering becomes a FAIL record; the I/O thread answers 500 (or cuts
 * a half-sent stream) and logs it once. With an `error` hook, the hook's answer goes back instead, its first record
 * marked R_FAIL so the I/O thread still counts the failure (logged here, where the error is known).
 */
import { runBinaryOverHttp } from "../http/binary-over-http.ts";
import { answerWithErrorHook, runFetchHook } from "../http/fetch-bridge.ts";
import { cannedError } from "../http/http-errors.ts";
import type { HttpResult } from "../module/http-types.ts";
import { ROUTE_BINARY, ROUTE_BINARY_METHOD, ROUTE_NOT_FOUND } from "../http/route.ts";
import type { RateLimitedLog } from "../log/logger.ts";
import type { ModuleDefinition } from "../module/types.ts";
import { R_DROP, R_FAIL, type PoolRequest } from "./pool-protocol.ts";
import type { PooledConn } from "./pooled-conn.ts";
import { PooledRequest, PooledResponse, type EmitResponse } from "./pooled-http.ts";

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();

export function serveHttp(
  def: ModuleDefinition<unknown>,
  /** Decided by the I/O thread (route.ts): it knows the listener and whether binary over HTTP is on there. */
  route: number,
  c: PooledConn,
  r: PoolRequest,
  maxBody: number,
  noisy: RateLimitedLog,
  emit: EmitResponse,
  done: () => void,
  scheme: string,
): void {
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    c.response = null;
    done();
  };
  const req = new PooledRequest(r, c);
  /** R_FAIL while the error hook's answer has not sent its first record. */
  let failFlag = 0;
  const res = new PooledResponse((flags, out) => {
    const f = failFlag;
    failFlag = 0;
    emit(flags | f, out);
  }, c, finish);
  let shapeErrors = false;
  const gone = () => c.gone;
  res.maxBody = Math.max(1024, maxBody);
  c.response = res;

  const fail = (err: unknown) => {
    if (ended) {
      noisy.error("http hook failed after its response was sent", { module: def.name, conn: c.id }, err);
      return;
    }
    if (shapeErrors && !res.headersSent) {
      shapeErrors = false; // once: an error hook that fails gets the plain 500
      noisy.error("http hook failed; answering with the error hook", { module: def.name, conn: c.id }, err);
      failFlag = R_FAIL;
      answerWithErrorHook(def, err, req, res, gone).then(undefined, (e) => {
        failFlag = 0;
        fail(new Error(`error hook failed: ${e instanceof Error ? e.message : String(e)}; the request failed with: ${err instanceof Error ? err.message : String(err)}`));
      });
      return;
    }
    const msg = err instanceof Error ? err.message : String(err);
    emit(R_FAIL, { status: 500, lines: "", body: enc.encode(msg) });
    finish();
  };
  const error = (status: 400 | 404 | 405) => {
    res.status(status).header("Content-Type", "text/plain; charset=utf-8").send(cannedError(status).body);
  };
  const complete = (v: HttpResult) => {
    if (res.finished) return;
    if (v !== undefined && v !== null) {
      try {
        res.send(v as string | Uint8Array);
      } catch (err) {
        fail(err);
      }
      return;
    }
    if (!res.headersSent) fail(new Error("the http hook finished without sending a response"));
  };
  const answer = (v: HttpResult | Promise<HttpResult> | Promise<Uint8Array>) => {
    if (v !== null && typeof v === "object" && typeof (v as Promise<HttpResult>).then === "function") {
      (v as Promise<HttpResult>).then(complete, fail);
    } else complete(v as HttpResult);
  };

  try {
    if (route === ROUTE_NOT_FOUND) return error(404);
    if (route === ROUTE_BINARY_METHOD) {
      res.header("Allow", "POST");
      return error(405);
    }
    if (route === ROUTE_BINARY) {
      // `c` itself, so a drop() during any proc call is seen before the next one (a copy of the flag taken here
      // stayed false and let proc run on after drop()).
      const out = runBinaryOverHttp(def, c, req.body);
      if (out.kind === "dropped" || c.dropRequested) {
        emit(R_DROP, { status: 200, lines: "", body: EMPTY });
        return finish();
      }
      if (out.kind === "bad") {
        noisy.warn("binary over HTTP: bad packet data; answering 400", { module: def.name, conn: c.id, why: out.why });
        return error(400);
      }
      return answer(out.bytes);
    }
    shapeErrors = def.error !== undefined;
    answer(def.http !== undefined ? def.http(req, res) : runFetchHook(def, req, res, scheme, gone));
  } catch (err) {
    fail(err);
  }
}
