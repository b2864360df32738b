// The Bun.serve reference for `bun run bench:http`: one process, no reusePort, the idiomatic handler that builds a new
// Response per request (not a prebuilt Response or a static route), `Hello, World!` as text/plain.
// `bun bench/servers/bun-serve-hello.ts [--port 0] [--tls-cert FILE --tls-key FILE]` prints "listening on
// http(s)://127.0.0.1:<port>"; SIGTERM stops it.

/** Said in the benchmark report, so a reader knows which variant of Bun.serve was measured. */
export const BUN_SERVE_VARIANT = "Bun.serve, 1 process, reusePort: false, new Response(...) per request";

if (import.meta.main) {
  const i = process.argv.indexOf("--port");
  const port = i > 0 ? Number(process.argv[i + 1]) : 0;
  const arg = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const cert = arg("--tls-cert");
  const key = arg("--tls-key");
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    reusePort: false,
    ...(cert && key ? { tls: { cert: Bun.file(cert), key: Bun.file(key) } } : {}),
    fetch: () => new Response("Hello, World!", { headers: { "Content-Type": "text/plain" } }),
  });
  process.on("SIGTERM", () => {
    void server.stop(true);
    process.exit(0);
  });
  console.log(`listening on ${cert ? "https" : "http"}://127.0.0.1:${server.port}`);
}
