// Hardened TLS through the real process: connections that never finish a handshake are closed at
// tls.handshake_timeout_ms and counted (/status, /metrics); tls.min_version; tls.ciphers (by default only
// forward-secret AEAD suites under TLS 1.2: no CBC/SHA-1, no static RSA); bad values refused at start-up.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import tls from "node:tls";
import { ROOT, runGrocketd, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { kiss } from "../helpers/kiss.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";
import { connect, withTimeout } from "../helpers/tcp-client.ts";
import { makeTestCert } from "../helpers/tls-cert.ts";

const made = makeTestCert();
const cert = "skip" in made ? null : made;
if (cert === null) console.warn(`skipping the TLS hardening tests: ${"skip" in made ? made.skip : ""}`);
afterAll(() => cert?.cleanup());

let running: Running | undefined;
afterEach(async () => {
  await running?.stop("SIGKILL");
  running = undefined;
});

const ECHO = resolve(ROOT, "modules/echo.ts");
const HELLO = resolve(ROOT, "modules/hello.ts");

async function start(env: Record<string, string> = {}): Promise<{ r: Running; tls: number; https: number; status: string }> {
  const r = await startGrocketd(
    ["-m", ECHO, "-m", HELLO, "--listen", "tls://127.0.0.1:0?module=echo", "--listen", "https://127.0.0.1:0?module=hello", "--threads", "1"],
    { env: { GROCKETD_TLS_CERT: cert!.cert, GROCKETD_TLS_KEY: cert!.key, GROCKETD_STATUS_LISTEN: "http://127.0.0.1:0", ...env }, expectListening: 2 },
  );
  running = r;
  const status = (await r.waitFor(/status listener on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  return { r, tls: r.ports[0]!, https: r.ports[1]!, status };
}

type Outcome = { ok: true; protocol: string; cipher: string } | { ok: false; error: string };

/** One node:tls handshake with these client options; the certificate is self-signed, so it is not verified. */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<Outcome> {
  return new Promise((res) => {
    const s = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false, ...opts }, () => {
      res({ ok: true, protocol: s.getProtocol() ?? "", cipher: s.getCipher().name });
      s.destroy();
    });
    s.on("error", (e) => res({ ok: false, error: e.message }));
    setTimeout(() => {
      s.destroy();
      res({ ok: false, error: "no answer in 5 s" });
    }, 5000);
  });
}

async function statusTls(base: string, ok: (t: { handshake_timeouts: number; handshake_failures: number }) => boolean) {
  let t = { handshake_timeouts: -1, handshake_failures: -1 };
  for (let i = 0; i < 100; i++) {
    t = ((await (await fetch(`${base}/status`)).json()) as { tls: typeof t }).tls;
    if (ok(t)) break;
    await Bun.sleep(50);
  }
  return t;
}

describe.skipIf(cert === null)("TLS hardening", () => {
  test("connections that never send a ClientHello (or stop half-way) are closed at tls.handshake_timeout_ms and counted; real clients still get in", async () => {
    const { tls: tlsPort, https, status } = await start({ GROCKETD_TLS_HANDSHAKE_TIMEOUT_MS: "300" });
    const silent = await Promise.all([tlsPort, tlsPort, tlsPort, https, https].map((p) => connect(p)));
    const partial = await connect(https);
    partial.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // a record header and the first byte of a ClientHello
    // Default idle timeout is 60 s: without the handshake deadline none of these would close within this bound.
    await withTimeout(Promise.all([...silent, partial].map((c) => c.closed)), 8000, "the server to close the handshakeless connections");
    expect([...silent, partial].every((c) => c.received().length === 0 || c === partial)).toBe(true);
    const t = await statusTls(status, (x) => x.handshake_timeouts === 6);
    expect(t.handshake_timeouts).toBe(6);
    const m = parsePrometheus(await (await fetch(`${status}/metrics`)).text());
    expect(sampleValue(m, "grocketd_server_tls_handshake_failures_total", { reason: "timeout" })).toBe(6);
    expect(m.get("grocketd_server_tls_handshake_failures_total")!.type).toBe("counter");
    // A client that handshakes at once is served and is not cut at the deadline.
    const ok = await new Promise<string>((res, rej) => {
      const s = tls.connect({ port: tlsPort, host: "127.0.0.1", rejectUnauthorized: false }, () => s.write(kiss(7)));
      let got = 0;
      s.on("data", (d: Buffer) => {
        got += d.length;
        if (got >= 44) setTimeout(() => (s.destroyed ? rej(new Error("closed")) : (s.end(), res("echoed and still open"))), 600);
      });
      s.on("error", rej);
    });
    expect(ok).toBe("echoed and still open");
    const hello = await fetch(`https://127.0.0.1:${https}/`, { tls: { rejectUnauthorized: false } });
    expect(await hello.text()).toBe("Hello, World!");
    expect((await statusTls(status, () => true)).handshake_timeouts).toBe(6);
  }, 30_000);

  test("TLS 1.1 is refused (node:tls and openssl s_client -tls1_1); tls.min_version = TLSv1.3 refuses TLS 1.2 as well", async () => {
    const { tls: port } = await start();
    const old = await handshake(port, { minVersion: "TLSv1", maxVersion: "TLSv1.1" });
    expect(old.ok).toBe(false);
    if (Bun.which("openssl") !== null) {
      const s = Bun.spawnSync(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"], { stdin: new Uint8Array(0), timeout: 10_000 });
      expect(s.exitCode).not.toBe(0);
      expect(s.stdout.toString()).toContain("Cipher is (NONE)"); // no session was made
      expect(s.stderr.toString()).toMatch(/alert protocol version|unsupported protocol|no protocols available/i);
    }
    expect(await handshake(port, { maxVersion: "TLSv1.2" })).toMatchObject({ ok: true, protocol: "TLSv1.2" });
    await running!.stop("SIGKILL");
    const { tls: strict, status } = await start({ GROCKETD_TLS_MIN_VERSION: "TLSv1.3" });
    const twelve = await handshake(strict, { maxVersion: "TLSv1.2" });
    expect(twelve.ok).toBe(false);
    expect(await handshake(strict, {})).toMatchObject({ ok: true, protocol: "TLSv1.3" });
    expect((await statusTls(status, (x) => x.handshake_failures >= 1)).handshake_failures).toBeGreaterThanOrEqual(1);
  }, 30_000);

  test("under TLS 1.2 only forward-secret AEAD suites are offered: CBC-SHA1 and static-RSA suites are refused, ECDHE-RSA-AES128-GCM-SHA256 works", async () => {
    const { tls: port, status } = await start();
    for (const cipher of ["AES128-SHA", "AES256-SHA", "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256"]) {
      const r = await handshake(port, { maxVersion: "TLSv1.2", ciphers: cipher });
      expect([cipher, r.ok]).toEqual([cipher, false]);
    }
    for (const cipher of ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"]) {
      expect(await handshake(port, { maxVersion: "TLSv1.2", ciphers: cipher })).toEqual({ ok: true, protocol: "TLSv1.2", cipher });
    }
    expect((await statusTls(status, (x) => x.handshake_failures === 4)).handshake_failures).toBe(4);
    await running!.stop("SIGKILL");
    // An operator who needs an old client may widen the list.
    const { tls: wide } = await start({ GROCKETD_TLS_CIPHERS: "ECDHE+AESGCM:ECDHE-RSA-AES128-SHA" });
    expect(await handshake(wide, { maxVersion: "TLSv1.2", ciphers: "ECDHE-RSA-AES128-SHA" })).toMatchObject({ ok: true });
  }, 30_000);

  test("a cipher list that selects nothing, or an unknown min_version, is refused at start-up naming the key", async () => {
    const env = { GROCKETD_TLS_CERT: cert!.cert, GROCKETD_TLS_KEY: cert!.key };
    const bad = await runGrocketd(["--check", "--listen", "tls://127.0.0.1:0"], { env: { ...env, GROCKETD_TLS_CIPHERS: "NOT-A-CIPHER" } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('environment GROCKETD_TLS_CIPHERS: tls.ciphers = "NOT-A-CIPHER": selects no cipher suite');
    const v = await runGrocketd(["--check", "--listen", "tls://127.0.0.1:0"], { env: { ...env, GROCKETD_TLS_MIN_VERSION: "TLSv1.1" } });
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/GROCKETD_TLS_MIN_VERSION: tls\.min_version = "TLSv1\.1".*TLSv1\.2.*TLSv1\.3/);
    const t = await runGrocketd(["--check", "--listen", "tls://127.0.0.1:0"], { env: { ...env, GROCKETD_TLS_HANDSHAKE_TIMEOUT_MS: "-1" } });
    expect(t.code).toBe(1);
    expect(t.stderr).toContain("tls.handshake_timeout_ms");
  });
});
