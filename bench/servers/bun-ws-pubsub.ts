// The Bun.serve anchor for `bun run bench:pubsub`: one thread, WebSocket, every socket subscribes to "all" on open,
// and a text message is published to "all" with ws.publish (everyone but the sender), as grocketd's fan-out module
// does with `conn.publish(..., { exceptSelf: true })`. Prints "listening <port>"; SIGTERM stops it.
if (import.meta.main) {
  const i = process.argv.indexOf("--port");
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: i > 0 ? Number(process.argv[i + 1]) : 0,
    fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("websocket only", { status: 400 })),
    websocket: {
      perMessageDeflate: false,
      open: (ws) => void ws.subscribe("all"),
      message: (ws, m) => void ws.publish("all", m),
    },
  });
  process.on("SIGTERM", () => {
    void server.stop(true);
    process.exit(0);
  });
  console.log(`listening ${server.port}`);
}
