// Tests for `bench:http --tls` (bench/lib/http-tls.ts, the TLS parts of bench/lib/http-servers.ts,
// bench/servers/nginx-hello.ts and bench/lib/http-report.ts): the pinned client config, the generated nginx ssl
// config, the servers over TLS (uWebSockets left out, grocketd on https:// with the certificate), the targets.

import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { targetFor } from "../../bench/lib/http-report.ts";
import { setupServers } from "../../bench/lib/http-servers.ts";
import { SUITES, type TlsSetup, clientConfig } from "../../bench/lib/http-tls.ts";
import { nginxConfig } from "../../bench/servers/nginx-hello.ts";

const repo = resolve(import.meta.dir, "../..");
const fakeTls: TlsSetup = {
  dir: "/t",
  cert: "/t/cert.pem",
  key: "/t/key.pem",
  version: "1.3",
  protocol: "TLSv1.3",
  suite: SUITES["1.3"],
  clientEnv: {},
  cleanup() {},
};

describe("bench:http --tls", () => {
  test("the client offers one version and one forward-secret suite", () => {
    const v13 = clientConfig("1.3");
    expect(v13).toContain("MinProtocol = TLSv1.3");
    expect(v13).toContain("MaxProtocol = TLSv1.3");
    expect(v13).toContain("Ciphersuites = TLS_AES_128_GCM_SHA256");
    const v12 = clientConfig("1.2");
    expect(v12).toContain("MaxProtocol = TLSv1.2");
    expect(v12).toContain("CipherString = ECDHE-RSA-AES128-GCM-SHA256");
    expect(v12.startsWith("openssl_conf = ")).toBe(true);
  });

  test("nginx listens with ssl on the same certificate; without tls there is no ssl line", () => {
    const conf = nginxConfig({ prefix: "/p", port: 8443, tls: { cert: "/t/cert.pem", key: "/t/key.pem" } });
    expect(conf).toContain("listen 127.0.0.1:8443 ssl reuseport;");
    expect(conf).toContain("ssl_certificate /t/cert.pem;");
    expect(conf).toContain("ssl_certificate_key /t/key.pem;");
    expect(conf).toContain("ECDHE-RSA-AES128-GCM-SHA256");
    expect(nginxConfig({ prefix: "/p", port: 8080 })).not.toContain("ssl");
  });

  test("servers: grocketd and Bun.serve over TLS with the certificate, uWebSockets skipped with a note", () => {
    const { specs, notes } = setupServers({ only: ["grocketd", "bun", "uws"], repo, uwsBin: "/bin/sh", tls: fakeTls });
    expect(specs.map((s) => s.name)).toEqual(["grocketd", "bun"]);
    expect(specs[0]!.describe).toContain("--listen https://127.0.0.1:0");
    expect(specs[1]!.describe).toContain("tls");
    expect(notes.join("\n")).toMatch(/skipped uws: .*without TLS/);
    const plain = setupServers({ only: ["grocketd"], repo });
    expect(plain.specs[0]!.describe).toContain("--listen http://127.0.0.1:0");
  });

  test("target against nginx is 1.0 in both modes over TLS", () => {
    expect(targetFor(1, true)).toBe(1);
    expect(targetFor(16, true)).toBe(1);
    expect(targetFor(16)).toBe(8);
  });
});
