/**
 * @module io/tls-options
 * The `tls` option of `Bun.listen` for `tls://` and `https://` entries, from the [tls] section. The files were
 * checked, and their paths made absolute, by the master at start-up (config/tls-check.ts); each listener hands Bun
 * lazy `Bun.file`s, so a thread reads them when it opens the port and a reload (new threads) picks up new files.
 * Connections need nothing else: on a TLS socket `write` returns the plaintext bytes taken and `drain` follows as on
 * plain TCP, and `remoteAddress`/`remotePort` are the peer's (measured), so the TCP and HTTP code runs unchanged.
 * Bun's TLS options have no minimum version: tls.min_version becomes SSL_OP_NO_* bits in `secureOptions` (BoringSSL
 * already refuses TLS 1.0 and 1.1 by default, measured; the bits say so explicitly). tls.ciphers applies to TLS 1.2;
 * TLS 1.3's suites are fixed (all forward-secret AEAD).
 */
import type { TLSOptions } from "bun";
import type { Config } from "../config/keys.ts";
import { isTlsProtocol, type ListenEntry } from "../config/listen-url.ts";

/** secureOptions for tls.min_version: the protocol versions below it switched off. */
export function minVersionOptions(min: Config["tls"]["min_version"]): number {
  // node:crypto is required here, only for TLS entries: importing it costs every I/O thread ~10 ms of its start
  // (it loads node:stream), measured with bench/startup.ts.
  const { constants } = require("node:crypto") as typeof import("node:crypto");
  const below12 = constants.SSL_OP_NO_SSLv3 | constants.SSL_OP_NO_TLSv1 | constants.SSL_OP_NO_TLSv1_1;
  return min === "TLSv1.3" ? below12 | constants.SSL_OP_NO_TLSv1_2 : below12;
}

/** The `tls` listen option for `entry`, or undefined for a plain entry. */
export function tlsListenOption(entry: ListenEntry, tls: Config["tls"]): TLSOptions | undefined {
  if (!isTlsProtocol(entry.protocol)) return undefined;
  const opts: TLSOptions = { cert: Bun.file(tls.cert), key: Bun.file(tls.key) };
  if (tls.ca !== "") opts.ca = Bun.file(tls.ca);
  if (tls.passphrase !== "") opts.passphrase = tls.passphrase;
  opts.secureOptions = minVersionOptions(tls.min_version);
  opts.ciphers = tls.ciphers;
  return opts;
}
