// A consumer of a library: requires `kv` (any 1.x from 1.0.0, provided by modules/kv-store.ts) and serves
// `GET /stats` over HTTP with the number of keys in this thread's store. It imports only the *type* of the library,
// so nothing of kv-store's code is linked in here; the runtime checks the version range before any `init` and
// runs kv-store's `init` first.
import { defineModule, type Counter, type InstanceOf } from "grocketd";
import type { KvLibrary } from "./kv-store.ts";

let store: InstanceOf<KvLibrary, "Store">;
let requests: Counter;
let thread = 0;
let kvVersion = "";

export default defineModule({
  name: "kv-stats",
  version: "1.0.0",
  grocketd: "^0.1.0",
  description: "GET /stats: key count of the kv store on this thread",
  requires: { kv: "^1.0.0" },
  init(ctx) {
    const kv = ctx.require<KvLibrary>("kv");
    store = kv.singleton("Store"); // the same object kv-store serves from on this thread
    kvVersion = kv.version;
    thread = ctx.grocketd.thread;
    requests = ctx.grocketd.counter("requests");
  },
  http(req, res) {
    if (req.path !== "/stats") return res.status(404).send("not found; try /stats\n");
    requests.add();
    res.header("Content-Type", "application/json").send(JSON.stringify({ keys: store.size, thread, kv: kvVersion }) + "\n");
  },
});
