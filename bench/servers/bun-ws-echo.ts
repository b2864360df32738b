// The Bun.serve anchor for `bun run bench:ws`: one thread, a WebSocket `message` handler that echoes, no compression.
// Prints "listening <port>"; SIGTERM stops it.
if (import.meta.main) {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("websocket only", { status: 400 })),
    websocket: { perMessageDeflate: false, message: (ws, m) => void ws.send(m) },
  });
  process.on("SIGTERM", () => {
    void server.stop(true);
    process.exit(0);
  });
  console.log(`listening ${server.port}`);
}
