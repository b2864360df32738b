/**
 * @module config/tls-check
 * Start-up check of the [tls] files, run by the master (and by every reload) before any thread starts: when a
 * `tls://` or `https://` entry is listed, tls.cert and tls.key must be set, readable, PEM, accepted by Bun's TLS
 * (BoringSSL) and belong together; tls.ca likewise when set. `node:tls` createSecureContext runs the same BoringSSL
 * parsing as `Bun.listen({ tls })` (measured: the same error codes for bad PEM, a wrong passphrase, a mismatched key,
 * a bad CA), so the master checks without opening a socket. Each problem names the key, the path and the source.
 * Relative paths that came from the environment or a module's config() are made absolute (against the working
 * directory) here, in the config itself, so every thread opens the same files. tls.ciphers is checked the same way
 * (BoringSSL refuses a list that selects no suite: "NO_CIPHER_MATCH"), whether or not a TLS entry is listed (the
 * built-in list only when one is).
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { SecureContextOptions } from "node:tls";
import { describeError } from "../errors.ts";
import { configKeys, type Config, type ConfigLayer } from "./keys.ts";
import { isTlsProtocol, parseListenUrl, type ListenEntry } from "./listen-url.ts";

/** A source that may have set a [tls] key, highest precedence first, to say where a bad value came from. */
export interface TlsKeySource {
  readonly layer: ConfigLayer;
  where(key: string): string;
}

type FileKey = "cert" | "key" | "ca";

/** Returns one message per problem (empty = fine); fills in absolute paths in `config.tls`. */
export function checkTlsFiles(config: Config, cwd: string, sources: readonly TlsKeySource[] = []): string[] {
  const tls = config.tls;
  const where = (k: string): string => {
    for (const s of sources) if (s.layer.tls?.[k as keyof Config["tls"]] !== undefined) return `${s.where(`tls.${k}`)}: `;
    return "";
  };
  const problems: string[] = [];
  const first = config.server.listen.map(parseListenUrl).find((e): e is ListenEntry => typeof e !== "string" && isTlsProtocol(e.protocol));
  // The built-in list is not checked without a TLS entry: the check loads node:tls and makes a secure context,
  // milliseconds of every start (bench/startup.ts), for grocketd's own list; with a TLS entry it is checked as any.
  const badCiphers = first === undefined && tls.ciphers === configKeys.tls.ciphers.default ? null : contextError({ ciphers: tls.ciphers });
  if (badCiphers !== null) {
    problems.push(`${where("ciphers")}tls.ciphers = ${JSON.stringify(tls.ciphers)}: selects no cipher suite this TLS library knows (OpenSSL cipher-list syntax, e.g. "ECDHE+AESGCM:ECDHE+CHACHA20"): ${badCiphers}`);
  }
  if (first === undefined) return problems;
  const text: Partial<Record<FileKey, string>> = {};
  for (const k of ["cert", "key", "ca"] as const) {
    if (tls[k] === "") {
      if (k !== "ca") problems.push(`tls.${k}: required by ${first.url} (set [tls] ${k} = "file.pem" or GROCKETD_TLS_${k.toUpperCase()})`);
      continue;
    }
    if (!isAbsolute(tls[k])) tls[k] = resolve(cwd, tls[k]);
    const bad = (why: string) => problems.push(`${where(k)}tls.${k} = ${JSON.stringify(tls[k])}: ${why}`);
    let t: string;
    try {
      t = readFileSync(tls[k], "utf8");
    } catch (err) {
      bad(`cannot read: ${describeError(err)}`);
      continue;
    }
    if (!t.includes("-----BEGIN ")) {
      bad(`not a PEM file (no "-----BEGIN" line)`);
      continue;
    }
    // Each file on its own first, so the message names the file that is wrong.
    const alone: SecureContextOptions = k === "key" ? { key: t, passphrase: tls.passphrase || undefined } : { [k]: t };
    const why = contextError(alone);
    if (why !== null) {
      bad(k === "key" && /BAD_DECRYPT/.test(why) ? `cannot decrypt the key (wrong or missing tls.passphrase): ${why}` : `not accepted by TLS: ${why}`);
      continue;
    }
    text[k] = t;
  }
  if (problems.length === 0 && text.cert !== undefined && text.key !== undefined) {
    const why = contextError({ cert: text.cert, key: text.key, ca: text.ca, passphrase: tls.passphrase || undefined });
    if (why !== null) problems.push(`tls.cert = ${JSON.stringify(tls.cert)} and tls.key = ${JSON.stringify(tls.key)} do not go together: ${why}`);
  }
  return problems;
}

function contextError(opts: SecureContextOptions): string | null {
  try {
    // Loaded here, only when a TLS entry is listed: importing node:tls loads the CA certificates, several
    // milliseconds of every start (bench/startup.ts).
    const { createSecureContext } = require("node:tls") as typeof import("node:tls");
    createSecureContext(opts);
    return null;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? `${code} (${describeError(err)})` : describeError(err);
  }
}
