// TLS through the real process: `tls://` (the module's packets) and `https://` with a throwaway certificate made by
// openssl at test time, paths relative to the config file; bad [tls] settings refused at start-up with the key,
// the path and the line.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseListenUrl, withPort, type ListenEntry } from "../../src/config/listen-url.ts";
import { ROOT, runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { kiss, kisses } from "../helpers/kiss.ts";
import { makeTestCert } from "../helpers/tls-cert.ts";

const made = makeTestCert();
const cert = "skip" in made ? null : made;
if (cert === null) console.warn(`skipping the TLS round trips: ${"skip" in made ? made.skip : ""}`);
afterAll(() => cert?.cleanup());

let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

/** A TLS client that collects bytes (the server's certificate is self-signed: not verified, but its subject is checked). */
async function tlsConnect(port: number) {
  let buf = new Uint8Array(0);
  const waiters: Array<() => void> = [];
  const handshake = Promise.withResolvers<void>();
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    tls: { rejectUnauthorized: false },
    socket: {
      binaryType: "uint8array",
      handshake: () => handshake.resolve(),
      data(_s, d) {
        const n = new Uint8Array(buf.length + d.length);
        n.set(buf);
        n.set(d, buf.length);
        buf = n;
        for (const w of waiters.splice(0)) w();
      },
    },
  });
  await handshake.promise;
  let pending: Uint8Array = new Uint8Array(0);
  const flush = () => {
    while (pending.length > 0) {
      const w = sock.write(pending);
      if (w <= 0) return;
      pending = pending.subarray(w);
    }
  };
  return {
    sock,
    write(b: Uint8Array | string) {
      pending = typeof b === "string" ? new TextEncoder().encode(b) : b;
      flush();
      // Large writes: keep pushing what the socket did not take.
      const t = setInterval(() => (pending.length === 0 ? clearInterval(t) : flush()), 1);
    },
    async waitBytes(n: number, timeoutMs = 10_000): Promise<Uint8Array> {
      const end = performance.now() + timeoutMs;
      while (buf.length < n) {
        if (performance.now() > end) throw new Error(`timed out with ${buf.length} of ${n} bytes`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return buf;
    },
  };
}

function writeConfig(dir: string, body: string): string {
  const file = join(dir, "grocketd.toml");
  writeFileSync(file, body);
  return file;
}

describe("listen URLs", () => {
  test("tls:// and https:// parse like tcp:// and http:// and keep their scheme", () => {
    const t = parseListenUrl("tls://127.0.0.1:0?module=echo") as ListenEntry;
    expect(t).toMatchObject({ protocol: "tls", hostname: "127.0.0.1", port: 0, module: "echo" });
    expect(withPort(t, 9443).url).toBe("tls://127.0.0.1:9443?module=echo");
    expect(parseListenUrl("https://[::1]:443")).toMatchObject({ protocol: "https", hostname: "::1", port: 443 });
    expect(parseListenUrl("ftp://x:1") as string).toContain("tls://, https://");
  });
});

describe.skipIf(cert === null)("TLS round trips", () => {
  test("tls:// kiss echo (split, pipelined, large) and https:// HTTP, cert and key relative to the config file", async () => {
    const config = writeConfig(cert!.dir, [
      "[server]",
      `modules = ["${resolve(ROOT, "modules/echo.ts")}", "${resolve(ROOT, "modules/hello.ts")}", "${resolve(ROOT, "test/fixtures/modules/peer.ts")}"]`,
      'listen = ["tls://127.0.0.1:0?module=echo", "https://127.0.0.1:0?module=hello", "https://127.0.0.1:0?module=echo", "tls://127.0.0.1:0?module=peer"]',
      "[io]",
      "threads = 1",
      "[tls]",
      'cert = "c.pem"',
      'key = "k.pem"',
      "",
    ].join("\n"));
    running = await startGrocketd(["--config", config], { expectListening: 4 });
    const [tlsPort, helloPort, binaryPort, peerPort] = running.ports;
    expect(running.output()).toMatch(/listening on tls:\/\/127\.0\.0\.1:\d+.*module=echo/);
    expect(running.output()).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+.*module=hello/);

    // Packets over TLS: one split over two writes, then 20 000 pipelined (880 KB: replies outrun the socket
    // buffers, so partial writes and drain on the TLS socket are exercised), every byte checked.
    const c = await tlsConnect(tlsPort!);
    expect((c.sock.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN).toBe("localhost");
    const one = kiss(1);
    c.write(one.subarray(0, 20));
    await Bun.sleep(20);
    c.write(one.subarray(20));
    expect(Buffer.from((await c.waitBytes(44)).subarray(0, 44)).equals(Buffer.from(one))).toBe(true);
    const many = kisses(2, 20_000);
    c.sock.pause(); // not reading for a while: the server's replies back up into its output queue
    c.write(many);
    await Bun.sleep(300);
    c.sock.resume();
    const got = await c.waitBytes(44 + many.length, 20_000);
    expect(got.length).toBe(44 + many.length);
    expect(Buffer.from(got.subarray(44)).equals(Buffer.from(many))).toBe(true);
    c.sock.end();

    // The connection sees the peer's address over TLS.
    const p = await tlsConnect(peerPort!);
    p.write("who\n");
    expect(new TextDecoder().decode(await p.waitBytes(1)).trim()).toBe(`127.0.0.1 ${p.sock.localPort}`);
    p.sock.end();

    // HTTPS: the module's http hook, and binary over HTTPS.
    const hello = await fetch(`https://127.0.0.1:${helloPort}/`, { tls: { rejectUnauthorized: false } });
    expect(hello.status).toBe(200);
    expect(await hello.text()).toBe("Hello, World!");
    const body = kisses(100, 3);
    const bin = await fetch(`https://127.0.0.1:${binaryPort}/binary`, { method: "POST", body, tls: { rejectUnauthorized: false } });
    expect(bin.status).toBe(200);
    expect(Buffer.from(await bin.arrayBuffer()).equals(Buffer.from(body))).toBe(true);

    expect(await running.stop("SIGTERM")).toBe(0);
    running = undefined;
  });

  test("a certificate path that does not exist is refused at start-up, naming the key, the path and the line", async () => {
    const config = writeConfig(cert!.dir, ["[server]", 'listen = ["tls://127.0.0.1:0"]', "[tls]", 'cert = "missing.pem"', 'key = "k.pem"', ""].join("\n"));
    const r = await runGrocketd(["--config", config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${config} line 4: tls.cert = "${join(cert!.dir, "missing.pem")}": cannot read`);
    expect(r.stdout).not.toContain("listening on");
  });

  test("a key that does not belong to the certificate, or a key that is not PEM, is refused before any port opens", async () => {
    const mismatch = await runGrocketd(["--listen", "https://127.0.0.1:0", "--check"], {
      env: { GROCKETD_TLS_CERT: cert!.cert, GROCKETD_TLS_KEY: cert!.otherKey },
    });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain(`tls.cert = "${cert!.cert}" and tls.key = "${cert!.otherKey}" do not go together`);
    const notPem = await runGrocketd(["--listen", "https://127.0.0.1:0", "--check"], {
      env: { GROCKETD_TLS_CERT: cert!.cert, GROCKETD_TLS_KEY: resolve(ROOT, "package.json") },
    });
    expect(notPem.code).toBe(1);
    expect(notPem.stderr).toContain(`environment GROCKETD_TLS_KEY: tls.key = "${resolve(ROOT, "package.json")}": not a PEM file`);
  });
});

test("a tls:// entry without [tls] cert and key is refused, naming both keys", async () => {
  const r = await runGrocketd(["--listen", "tls://127.0.0.1:0", "--check"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("tls.cert: required by tls://127.0.0.1:0");
  expect(r.stderr).toContain("tls.key: required by tls://127.0.0.1:0");
});
