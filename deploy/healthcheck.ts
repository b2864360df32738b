/**
 * Health check of the deploy kit: `bun deploy/healthcheck.ts [/healthz | /readyz]` asks the status listener and
 * exits 0 on 200, 1 on anything else or after 3 s (Docker HEALTHCHECK, Kubernetes exec probes, or by hand). The
 * address is $GROCKETD_STATUS_LISTEN — the variable grocketd itself reads for status.listen — or the kit's
 * status.listen (deploy/grocketd.toml); a wildcard address is asked on 127.0.0.1. $GROCKETD_STATUS_TOKEN, when set,
 * goes along as the bearer token. Runs in the image without curl: Bun is there anyway.
 */
export const KIT_STATUS_LISTEN = "http://127.0.0.1:9090";

async function check(path: string): Promise<number> {
  const listen = new URL(process.env.GROCKETD_STATUS_LISTEN || KIT_STATUS_LISTEN);
  if (listen.hostname === "0.0.0.0" || listen.hostname === "[::]") listen.hostname = "127.0.0.1";
  const token = process.env.GROCKETD_STATUS_TOKEN ?? "";
  try {
    const res = await fetch(new URL(path, listen), {
      headers: token === "" ? {} : { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(3000),
    });
    const body = (await res.text()).trim();
    if (res.status === 200) return 0;
    console.error(`${path}: ${res.status} ${body}`);
  } catch (err) {
    console.error(`${path}: ${listen.origin} did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  return 1;
}

if (import.meta.main) process.exit(await check(process.argv[2] ?? "/healthz"));
