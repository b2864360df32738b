// A hono app served by grocketd: the module's `fetch` hook is the app's fetch, one line. Routes: GET / (text),
// GET /users/:id (JSON), POST /echo (the body back, as JSON), GET /stream (a streamed body, chunked, with
// backpressure). Run it: `npm run grocketd -- --module modules/hono-app.ts --listen http://127.0.0.1:8080`.
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { defineModule } from "grocketd";

const app = new Hono();
app.get("/", (c) => c.text("Hello from hono on grocketd\n"));
app.get("/users/:id", (c) => c.json({ id: c.req.param("id"), agent: c.req.header("user-agent") ?? null }));
app.post("/echo", async (c) => c.json({ received: await c.req.text(), type: c.req.header("content-type") ?? null }, 201));
app.get("/stream", (c) =>
  stream(c, async (s) => {
    for (let i = 1; i <= 5; i++) await s.write(`line ${i}\n`);
  }),
);
app.notFound((c) => c.text("no such route\n", 404));

export default defineModule({
  name: "hono-app",
  version: "1.0.0",
  grocketd: "^0.1.0",
  fetch: app.fetch,
  config: () => ({ server: { listen: ["http://0.0.0.0:8080"] } }),
});
