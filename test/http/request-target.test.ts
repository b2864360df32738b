// The request-target as a module sees it: req.path percent-decoded and without dot segments (RFC 3986 §5.2.4),
// encoded NUL/CR/LF in the path refused with 400, req.url as sent, and req.host from an absolute-form target's
// authority before the Host header (RFC 9112 §3.2.2). Inline and through the handler pool.
import { afterEach, describe, expect, test } from "bun:test";
import { defineModule } from "../../src/index.ts";
import { removeDotSegments, targetAuthority, targetPath } from "../../src/http/request-target.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";
import { exchange, refused } from "../helpers/http-client.ts";
import { startGrocketd, type Running } from "../helpers/grocketd.ts";
import { resolve } from "node:path";

let server: InProcessServer | undefined;
let running: Running | undefined;
afterEach(async () => {
  server?.stop();
  server = undefined;
  await running?.stop("SIGKILL");
  running = undefined;
});

const seen = defineModule({
  name: "seen",
  version: "1.0.0",
  grocketd: "^0.1.0",
  http: (req) => JSON.stringify({ url: req.url, path: req.path, host: req.host, hostHeader: req.headers.get("host") ?? null }),
});

function start(): number {
  server = startInProcess(seen, {}, { protocol: "http" });
  return server.port;
}

describe("RFC 3986 §5.2.4: dot segments", () => {
  test("removeDotSegments follows the RFC's examples and keeps names that only contain dots", () => {
    // The two examples of RFC 3986 §5.2.4.
    expect(removeDotSegments("/a/b/c/./../../g")).toBe("/a/g");
    expect(removeDotSegments("mid/content=5/../6")).toBe("mid/6");
    expect(removeDotSegments("/a/..")).toBe("/");
    expect(removeDotSegments("/a/.")).toBe("/a/");
    expect(removeDotSegments("/../../etc/passwd")).toBe("/etc/passwd");
    expect(removeDotSegments("/.")).toBe("/");
    expect(removeDotSegments("/a/b/")).toBe("/a/b/");
    expect(removeDotSegments("/.well-known/x/..y/a..b/...")).toBe("/.well-known/x/..y/a..b/...");
  });

  test("targetPath decodes, then removes dot segments; an encoded slash stays a character, not a separator", () => {
    expect(targetPath("/%2e%2e/%2e%2e/etc/passwd")).toBe("/etc/passwd");
    expect(targetPath("/a/%2E./b?x=/../y")).toBe("/b");
    expect(targetPath("/a/%2F../b")).toBe("/a/%2F../b");
    expect(targetPath("http://h:1/x/../y")).toBe("/y");
    expect(targetPath("*")).toBe("*");
  });

  test("targetAuthority: the authority of an absolute-form target, without userinfo; undefined otherwise", () => {
    expect(targetAuthority("http://Example.com:8080/p?q")).toBe("Example.com:8080");
    expect(targetAuthority("https://u:pw@h.example/x")).toBe("h.example");
    expect(targetAuthority("http://h.example?x")).toBe("h.example");
    expect(targetAuthority("/p/q")).toBeUndefined();
    expect(targetAuthority("*")).toBeUndefined();
  });
});

describe("what the module sees", () => {
  test("a traversal in encoded dots reaches the module as a clean path; req.url keeps the target as sent", async () => {
    const port = start();
    const { c, responses } = await exchange(port, "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n");
    expect(JSON.parse(responses[0]!.text)).toMatchObject({ path: "/etc/passwd", url: "/%2e%2e/%2e%2e/etc/passwd" });
    c.end();
  });

  test("RFC 9112 §3.2, RFC 9110 §5.5: an encoded NUL, CR or LF in the path → 400 and close; in the query it is the module's", async () => {
    const port = start();
    for (const path of ["/a%00b", "/a%0d%0aSet-Cookie:%20x=1", "/x%0A", "/%0D", "/p%00?q=1"]) {
      const r = await refused(port, `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`);
      expect([path, r.status]).toEqual([path, 400]);
      expect(r.headers.connection).toBe("close");
    }
    const { c, responses } = await exchange(port, "GET /ok?v=%00%0d%0a HTTP/1.1\r\nHost: h\r\n\r\n");
    expect(JSON.parse(responses[0]!.text).path).toBe("/ok");
    c.end();
  });

  test("RFC 9112 §3.2.2: with an absolute-form target its authority is req.host, whatever Host says; the header stays as sent", async () => {
    const port = start();
    const { c, responses } = await exchange(
      port,
      "GET http://real.example:81/p HTTP/1.1\r\nHost: other.example\r\n\r\n" + "GET /q HTTP/1.1\r\nHost: h.example:8080\r\n\r\n" + "GET /r HTTP/1.0\r\n\r\n",
      3,
    );
    expect(JSON.parse(responses[0]!.text)).toMatchObject({ host: "real.example:81", hostHeader: "other.example", path: "/p" });
    expect(JSON.parse(responses[1]!.text)).toMatchObject({ host: "h.example:8080", hostHeader: "h.example:8080" });
    expect(JSON.parse(responses[2]!.text)).toMatchObject({ host: "", hostHeader: null });
    c.end();
  });

  test("through the handler pool: the same path, 400 and host", async () => {
    const fixture = resolve(import.meta.dir, "../fixtures/modules/request-target.ts");
    running = await startGrocketd(["--module", fixture, "--listen", "http://127.0.0.1:0", "--threads", "1"], {
      env: { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" },
      expectListening: 1,
    });
    const port = running.ports[0]!;
    const { c, responses } = await exchange(port, "GET http://real.example/%2e%2e/x/./y HTTP/1.1\r\nHost: other\r\n\r\n");
    expect(JSON.parse(responses[0]!.text)).toMatchObject({ path: "/x/y", host: "real.example", hostHeader: "other", role: "handler" });
    c.end();
    expect((await refused(port, "GET /a%00 HTTP/1.1\r\nHost: h\r\n\r\n")).status).toBe(400);
  });
});
