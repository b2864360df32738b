// Two heap facts the connection objects are shaped by (docs/platform-notes.md "What a connection holds on the heap"):
// (1) the size JSC gives a plain object by its number of fields (a class instance with N fields set in its
// constructor), and (2) when Bun makes a socket's `remoteAddress` string: N connections to a bare Bun.listen on
// 127.0.0.1, once reading `remoteAddress` at open and once never, counting live strings (full collections, bun:jsc
// heapStats) and what `close` sees of the address when it was never read.
// Usage: bun bench/platform/socket-heap.ts [N=2000]
import { estimateShallowMemoryUsageOf, heapStats } from "bun:jsc";

const n = Number(process.argv[2] ?? 2000);

// (1) Size classes: an instance of a class with `k` fields, as the connection classes are (class fields are stored
// inline in the object when the constructor sets them all).
function objectOf(k: number): object {
  const fields = Array.from({ length: k }, (_, i) => `f${i} = ${i};`).join(" ");
  const C = new Function(`return class { ${fields} }`)() as new () => object;
  return new C();
}
const steps: string[] = [];
let last = -1;
for (let k = 1; k <= 40; k++) {
  const size = estimateShallowMemoryUsageOf(objectOf(k));
  if (size !== last) steps.push(`${k} fields: ${size} B`);
  last = size;
}
console.log(`object size by field count (first count of each size): ${steps.join(", ")}`);

// (2) The address string: made on first read, cached on the socket.
function liveStrings(): number {
  Bun.gc(true);
  Bun.gc(true);
  return heapStats().objectTypeCounts.string ?? 0;
}

async function round(read: boolean): Promise<{ perConn: number; atClose: string }> {
  let atClose = "";
  const server = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) { if (read) void s.remoteAddress; },
      data() {},
      close(s) { if (atClose === "") atClose = `remoteAddress ${String(s.remoteAddress)}, remotePort ${String(s.remotePort)}`; },
    },
  });
  const before = liveStrings();
  const clients = [];
  for (let i = 0; i < n; i++) {
    clients.push(await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {} } }));
  }
  await Bun.sleep(200);
  // The clients' own sockets never read their address: they add no strings of their own.
  const perConn = (liveStrings() - before) / n;
  for (const c of clients) c.end();
  await Bun.sleep(300);
  server.stop(true);
  return { perConn, atClose };
}

const unread = await round(false);
const readAtOpen = await round(true);
console.log(`never read:   ${unread.perConn.toFixed(2)} strings per connection; at close: ${unread.atClose}`);
console.log(`read at open: ${readAtOpen.perConn.toFixed(2)} strings per connection; at close: ${readAtOpen.atClose}`);
