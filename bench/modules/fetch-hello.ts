// The `fetch` hook column of `bun run bench:http`: the same answer as Bun.serve's reference handler
// (bench/servers/bun-serve-hello.ts) — a new Response("Hello, World!") as text/plain per request — through grocketd's
// fetch bridge (src/http/fetch-bridge.ts), so the column shows what the web-standard hook costs against the http hook
// (modules/hello.ts) and Bun.serve.
import { defineModule } from "../../src/index.ts";

export default defineModule({
  name: "fetch-hello",
  version: "1.0.0",
  grocketd: "^0.1.0",
  fetch: () => new Response("Hello, World!", { headers: { "Content-Type": "text/plain" } }),
});
