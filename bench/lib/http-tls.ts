// `bench:http --tls`: a throw-away self-signed RSA certificate for 127.0.0.1 (openssl, in a fresh temp dir, removed
// at exit), and the suite every server is measured with. The suite is pinned on the client side: wrk (and the
// `openssl s_client` check) read an OpenSSL config (OPENSSL_CONF) that offers one protocol version and one
// forward-secret suite only, so grocketd (Bun's BoringSSL, whose TLS 1.3 suites cannot be configured), Bun.serve
// and nginx (OpenSSL) all negotiate the same one; each server's negotiated protocol and suite is checked before it
// is measured.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type TlsVersion = "1.2" | "1.3";

export interface TlsSetup {
  dir: string;
  cert: string;
  key: string;
  version: TlsVersion;
  /** "TLSv1.3" / "TLSv1.2". */
  protocol: string;
  /** The one suite offered: TLS_AES_128_GCM_SHA256 (1.3) or ECDHE-RSA-AES128-GCM-SHA256 (1.2). */
  suite: string;
  /** The environment for wrk and s_client: OPENSSL_CONF pointing at the pinned client config. */
  clientEnv: Record<string, string | undefined>;
  cleanup(): void;
}

export const SUITES: Record<TlsVersion, string> = { "1.3": "TLS_AES_128_GCM_SHA256", "1.2": "ECDHE-RSA-AES128-GCM-SHA256" };

/** The client's OpenSSL config: one version, one suite (a TLS 1.2 line keeps 1.2 suites off as well). */
export function clientConfig(version: TlsVersion): string {
  const lines = [
    "openssl_conf = grocketd_bench",
    "[grocketd_bench]",
    "ssl_conf = grocketd_bench_ssl",
    "[grocketd_bench_ssl]",
    "system_default = grocketd_bench_client",
    "[grocketd_bench_client]",
  ];
  if (version === "1.3") lines.push("MinProtocol = TLSv1.3", "MaxProtocol = TLSv1.3", `Ciphersuites = ${SUITES["1.3"]}`);
  else lines.push("MinProtocol = TLSv1.2", "MaxProtocol = TLSv1.2", `CipherString = ${SUITES["1.2"]}`);
  return `${lines.join("\n")}\n`;
}

/** Makes the certificate and the client config; throws with openssl's output when it fails. */
export function makeTls(version: TlsVersion): TlsSetup {
  const openssl = Bun.which("openssl");
  if (!openssl) throw new Error("--tls needs openssl (apt-get install openssl) to make a throw-away certificate");
  const dir = mkdtempSync(join(tmpdir(), "grocketd-bench-tls-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const r = Bun.spawnSync(
    [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) {
    cleanup();
    throw new Error(`openssl req failed: ${r.stderr.toString()}`);
  }
  const conf = join(dir, "client-openssl.cnf");
  writeFileSync(conf, clientConfig(version));
  return { dir, cert, key, version, protocol: `TLSv${version}`, suite: SUITES[version], clientEnv: { ...process.env, OPENSSL_CONF: conf }, cleanup };
}

/** What `openssl s_client -brief` negotiates with 127.0.0.1:port under the pinned client config. */
export function negotiated(port: number, tls: TlsSetup): { protocol: string; suite: string } {
  const r = Bun.spawnSync([Bun.which("openssl") ?? "openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-brief"], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: tls.clientEnv,
    timeout: 5000,
  });
  const text = r.stdout.toString() + r.stderr.toString();
  const protocol = /Protocol version:\s*(\S+)/.exec(text)?.[1];
  const suite = /Ciphersuite:\s*(\S+)/.exec(text)?.[1];
  if (!protocol || !suite) throw new Error(`openssl s_client found no TLS session on port ${port}:\n${text.slice(0, 600)}`);
  return { protocol, suite };
}
