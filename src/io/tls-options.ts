/**
 * @module io/tls-options
 * The `tls` option of `Bun.listen` for `tls://` and `https://` entries, from the [tls] section. The files were
 * checked, and their paths made absolute, by the master at start-up (config/tls-check.ts); each listener hands Bun
 * lazy `Bun.file`s, so a thread reads them when it opens the port and a reload (new threads) picks up new files.
 * Connections need nothing else: on a TLS socket `write` returns the plaintext bytes taken and `drain` follows as on
 * plain TCP, and `remoteAddress`/`remotePort` are the peer's (measured), so the TCP and HTTP code runs unchanged.
 */
import type { TLSOptions } from "bun";
import type { Config } from "../config/keys.ts";
import { isTlsProtocol, type ListenEntry } from "../config/listen-url.ts";

/** The `tls` listen option for `entry`, or undefined for a plain entry. */
export function tlsListenOption(entry: ListenEntry, tls: Config["tls"]): TLSOptions | undefined {
  if (!isTlsProtocol(entry.protocol)) return undefined;
  const opts: TLSOptions = { cert: Bun.file(tls.cert), key: Bun.file(tls.key) };
  if (tls.ca !== "") opts.ca = Bun.file(tls.ca);
  if (tls.passphrase !== "") opts.passphrase = tls.passphrase;
  return opts;
}
