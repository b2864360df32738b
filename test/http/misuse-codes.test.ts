// Every misuse of the module API throws with a stable code (src/errors.ts ErrorCodes), inline and on handler
// threads: a response used after it finished or after its headers went out (GRK_ERR_RESPONSE_STATE), a bad status or
// header (GRK_ERR_RESPONSE_VALUE); and a rejected request is logged with its code from the HttpRejections table.
import { afterEach, expect, test } from "bun:test";
import { defineModule, staticResponse } from "../../src/index.ts";
import { PooledConn } from "../../src/pool/pooled-conn.ts";
import { RecordSink } from "../../src/pool/record-sink.ts";
import { HttpResponseImpl } from "../../src/http/response.ts";
import type { HttpResponse } from "../../src/module/http-types.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { exchange, refused } from "../helpers/http-client.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

const codeOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return "did not throw";
};

/** The misuses, each with the code it must throw, tried on one response as a hook would. */
function misuses(res: HttpResponse): Record<string, unknown> {
  return {
    badStatus: codeOf(() => res.status(99)),
    crlfHeader: codeOf(() => res.header("X-A", "a\r\nInjected: 1")),
    badName: codeOf(() => res.header("Bad Name", "v")),
    ownHeader: codeOf(() => res.header("Content-Length", "3")),
    afterSend: (res.send("ok"), codeOf(() => res.send("again"))),
    writeAfter: codeOf(() => res.write("x")),
    endAfter: codeOf(() => res.end()),
    headerAfter: codeOf(() => res.header("X-B", "b")),
    statusAfter: codeOf(() => res.status(200)),
  };
}

const EXPECTED = {
  badStatus: "GRK_ERR_RESPONSE_VALUE",
  crlfHeader: "GRK_ERR_RESPONSE_VALUE",
  badName: "GRK_ERR_RESPONSE_VALUE",
  ownHeader: "GRK_ERR_RESPONSE_VALUE",
  afterSend: "GRK_ERR_RESPONSE_STATE",
  writeAfter: "GRK_ERR_RESPONSE_STATE",
  endAfter: "GRK_ERR_RESPONSE_STATE",
  headerAfter: "GRK_ERR_RESPONSE_STATE",
  statusAfter: "GRK_ERR_RESPONSE_STATE",
};

test("inline: each misuse of res throws with its code", async () => {
  let seen: Record<string, unknown> = {};
  server = startInProcess(
    defineModule({ name: "misuse", version: "1.0.0", grocketd: "^0.1.0", http: (_req, res) => void (seen = misuses(res)) }),
    {},
    { protocol: "http" },
  );
  const { c, responses } = await exchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(responses[0]!.status).toBe(200);
  c.end();
  expect(seen).toEqual(EXPECTED);
});

test("handler thread: PooledResponse throws the same codes", () => {
  const conn = new PooledConn({ id: 1, protocol: "http", remoteAddress: "127.0.0.1", remotePort: 1, localPort: 2, thread: 0 } as never, 1, 0);
  const res = new HttpResponseImpl(new RecordSink(() => {}, conn, () => {}, Infinity));
  expect(misuses(res)).toEqual(EXPECTED);
});

test("staticResponse refuses a bad status or a header grocketd sets, with GRK_ERR_RESPONSE_VALUE", () => {
  expect(codeOf(() => staticResponse("x", { status: 99 }))).toBe("GRK_ERR_RESPONSE_VALUE");
  expect(codeOf(() => staticResponse("x", { headers: { Connection: "close" } }))).toBe("GRK_ERR_RESPONSE_VALUE");
});

test("a rejected request is logged with its code from the rejection table", async () => {
  server = startInProcess(defineModule({ name: "r", version: "1.0.0", grocketd: "^0.1.0", http: () => "x" }), {}, { protocol: "http" });
  expect((await refused(server.port, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")).status).toBe(400);
  expect(server.logs.find((l) => l.includes("request rejected"))).toContain("code=GRK_HTTP_BAD_REQUEST");
});
