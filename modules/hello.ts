// The smallest HTTP module: "Hello, World!" as text/plain, rendered once (Date refreshed once a second).
import { defineModule, staticResponse } from "grocketd";

const hello = staticResponse("Hello, World!", { headers: { "Content-Type": "text/plain" } });

export default defineModule({
  name: "hello",
  version: "1.0.0",
  grocketd: "^0.1.0",
  http: () => hello,
  config: () => ({ server: { listen: ["http://0.0.0.0:8080"] } }),
});
