// The bundled demo modules as a user runs them: echo on TCP and on HTTP (binary over HTTP), kiss-check's
// sequence rule, hello's fixed response.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ROOT, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { connect } from "../helpers/tcp-client.ts";
import { exchange } from "../helpers/http-client.ts";
import { kiss, kisses } from "../helpers/kiss.ts";

let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

describe("demo modules", () => {
  test("echo answers kiss packets on TCP and the same packets POSTed to /binary on HTTP", async () => {
    running = await startGrocketd(["--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0", "--threads", "2"], { expectListening: 2 });
    const [tcpPort, httpPort] = running.ports;
    const c = await connect(tcpPort!);
    const stream = kisses(1, 100);
    c.write(stream);
    expect(await c.waitBytes(stream.length)).toEqual(stream);
    c.end();
    const body = kisses(1, 3);
    const { c: h, responses } = await exchange(httpPort!, Buffer.concat([Buffer.from(`POST /binary HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
    expect(responses[0]!.body).toEqual(body);
    h.end();
  });

  test("echo's GET / says what it serves and how to reach it, on the ports it got; the start-up line says state is per thread", async () => {
    running = await startGrocketd(["--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0", "--threads", "1"], { expectListening: 2 });
    const [tcpPort, httpPort] = running.ports;
    const home = await fetch(`http://127.0.0.1:${httpPort}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const page = await home.text();
    expect(page).toContain("echo module (modules/echo.ts)");
    expect(page).toContain(`printf '%044d' 7 | nc -N 127.0.0.1 ${tcpPort}`);
    expect(page).toContain(`printf '%044d' 7 | curl --data-binary @- http://127.0.0.1:${httpPort}/binary`);
    expect((await fetch(`http://127.0.0.1:${httpPort}/nothing-here`)).status).toBe(404);
    // The command on the page does what it says: 44 bytes of printf '%044d' 7, echoed over HTTP and over TCP.
    const packet = Buffer.from("7".padStart(44, "0"));
    const echoed = await fetch(`http://127.0.0.1:${httpPort}/binary`, { method: "POST", body: packet });
    expect(Buffer.from(await echoed.arrayBuffer())).toEqual(packet);
    const c = await connect(tcpPort!);
    c.write(packet);
    expect(Buffer.from(await c.waitBytes(44))).toEqual(packet);
    c.end();
    expect(running.output()).toMatch(/grocketd \S+ starting .*module_state="per thread: .*SharedArrayBuffer/);
  });

  test("kiss-check closes a connection whose ids do not rise by one", async () => {
    running = await startGrocketd(["--module", resolve(ROOT, "modules/kiss-check.ts"), "--listen", "tcp://127.0.0.1:0", "--threads", "1"]);
    const port = running.ports[0]!;
    const good = await connect(port);
    good.write(kisses(1, 50));
    expect((await good.waitBytes(50 * 44)).length).toBe(50 * 44);
    good.end();
    const bad = await connect(port);
    bad.write(Buffer.concat([kiss(1), kiss(2), kiss(4), kiss(5)]));
    await bad.closed;
    expect(bad.received()).toEqual(kisses(1, 2));
    await running.waitFor(/kiss out of sequence; closing.*expected=3 got=4/);
  });

  test("hello answers GET with Hello, World!", async () => {
    running = await startGrocketd(["--module", resolve(ROOT, "modules/hello.ts"), "--listen", "http://127.0.0.1:0", "--threads", "1"]);
    const { c, responses } = await exchange(running.ports[0]!, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(responses[0]).toMatchObject({ status: 200, text: "Hello, World!" });
    expect(responses[0]!.headers["content-type"]).toBe("text/plain");
    c.end();
  });
});
