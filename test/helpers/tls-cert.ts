// A throwaway self-signed certificate for TLS tests, made with `openssl` in a temp dir at test time (nothing
// secret is checked in). Returns null, with the reason, when openssl is not installed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCert {
  readonly dir: string;
  /** Absolute paths. */
  readonly cert: string;
  readonly key: string;
  /** A second key that does not belong to `cert`. */
  readonly otherKey: string;
  cleanup(): void;
}

function run(cmd: string[], cwd: string): void {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
}

export function makeTestCert(): TestCert | { skip: string } {
  if (Bun.which("openssl") === null) return { skip: "openssl is not installed, so no test certificate can be made" };
  const dir = mkdtempSync(join(tmpdir(), "grocketd-tls-"));
  try {
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", "k.pem", "-out", "c.pem"], dir);
    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other-k.pem"], dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    cert: join(dir, "c.pem"),
    key: join(dir, "k.pem"),
    otherKey: join(dir, "other-k.pem"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** makeTestCert, with GROCKETD_TLS_CERT and GROCKETD_TLS_KEY set in `env` to its files (not when it is skipped). */
export function withTestCert(env: Record<string, string>): TestCert | { skip: string } {
  const made = makeTestCert();
  if ("skip" in made) return made;
  env.GROCKETD_TLS_CERT = made.cert;
  env.GROCKETD_TLS_KEY = made.key;
  return made;
}
