// A library module that is also a server: an in-memory key-value store.
// - Provides the library `kv` 1.0.0 to other modules: class `Store` (a singleton: one store per thread) and class
//   `View` (a key-prefixed view of a store, made with `create("View", store, prefix)`).
// - Serves it over TCP, one command per line: `set <key> <value>` → `OK`, `get <key>` → `VALUE <value>` or
//   `NOT_FOUND`, `del <key>` → `DELETED` or `NOT_FOUND`; and over HTTP: `GET /kv/<key>`, `PUT /kv/<key>` (body =
//   value), `DELETE /kv/<key>`.
// - Its own config section `[modules.kv-store]`: `max_keys` (default 10000), checked at start-up.
// Objects are per thread, so each I/O thread has its own store: run it with `--threads 1` for a single store.
import { defineLibrary, defineModule, z, type Counter, type HttpRequest, type HttpResponse } from "grocketd";

export class Store {
  private readonly map = new Map<string, string>();
  constructor(readonly maxKeys: number) {}
  get size(): number {
    return this.map.size;
  }
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  /** False when the store is full and `key` is new. */
  set(key: string, value: string): boolean {
    if (this.map.size >= this.maxKeys && !this.map.has(key)) return false;
    this.map.set(key, value);
    return true;
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
  }
}

/** Keys of one store under a prefix, so several users of a store cannot collide. */
export class View {
  constructor(
    private readonly store: Store,
    readonly prefix: string,
  ) {}
  get(key: string): string | undefined {
    return this.store.get(this.prefix + key);
  }
  set(key: string, value: string): boolean {
    return this.store.set(this.prefix + key, value);
  }
}

let maxKeys = 10_000; // from [modules.kv-store] max_keys, set by init before anyone can ask for the Store

export const kv = defineLibrary({
  version: "1.0.0",
  classes: {
    Store: { create: () => new Store(maxKeys), singleton: true, release: (s: Store) => s.clear() },
    View: { create: (store: Store, prefix: string) => new View(store, prefix) },
  },
});
/** What consumers import (type only) to get typed access: `ctx.require<KvLibrary>("kv")`. */
export type KvLibrary = typeof kv;

let store: Store;
let counters: { gets: Counter; sets: Counter; misses: Counter };
const KEY = /^\S{1,250}$/;

function command(line: string): string {
  const [verb, key = "", ...rest] = line.split(" ");
  if (!KEY.test(key)) return "ERROR expected a key of 1-250 non-space characters\n";
  if (verb === "get") {
    counters.gets.add();
    const v = store.get(key);
    if (v === undefined) counters.misses.add();
    return v === undefined ? "NOT_FOUND\n" : `VALUE ${v}\n`;
  }
  if (verb === "set") {
    counters.sets.add();
    return store.set(key, rest.join(" ")) ? "OK\n" : "ERROR store full\n";
  }
  if (verb === "del") return store.delete(key) ? "DELETED\n" : "NOT_FOUND\n";
  return "ERROR unknown command (get, set, del)\n";
}

function http(req: HttpRequest, res: HttpResponse): string | void {
  const key = req.path.startsWith("/kv/") ? req.path.slice(4) : undefined;
  if (key === undefined) return res.status(404).send("not found; try /kv/<key>\n");
  if (!KEY.test(key)) return res.status(400).send("expected a key of 1-250 non-space characters\n");
  switch (req.method) {
    case "GET":
    case "HEAD": {
      counters.gets.add();
      const v = store.get(key);
      if (v === undefined) counters.misses.add();
      return v === undefined ? res.status(404).send("not found\n") : v;
    }
    case "PUT":
      counters.sets.add();
      return store.set(key, req.text()) ? res.status(204).send() : res.status(507).send("store full\n");
    case "DELETE":
      return store.delete(key) ? res.status(204).send() : res.status(404).send("not found\n");
    default:
      return res.status(405).header("Allow", "GET, HEAD, PUT, DELETE").send("method not allowed\n");
  }
}

export default defineModule({
  name: "kv-store",
  version: "1.0.0",
  grocketd: "^0.1.0",
  description: "in-memory key-value store: library kv 1.0.0, line protocol over TCP, /kv/<key> over HTTP",
  configSchema: z.object({ max_keys: z.number().int().min(1).default(10_000) }),
  provides: { kv },
  init(ctx) {
    maxKeys = ctx.moduleConfig.max_keys; // typed: number, validated at start-up
    store = ctx.require<KvLibrary>("kv").singleton("Store");
    const c = ctx.grocketd.counter.bind(ctx.grocketd);
    counters = { gets: c("gets"), sets: c("sets"), misses: c("misses") };
  },
  check(buf, start, end) {
    const nl = buf.indexOf(10, start);
    return nl < 0 || nl >= end ? 0 : nl - start + 1;
  },
  proc: (packet) => command(new TextDecoder().decode(packet).replace(/\r?\n$/, "")),
  http,
});
