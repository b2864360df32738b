/**
 * Platform probe (docs/platform-notes.md "Viewing a socket chunk"): what a view of the chunk Bun hands to a socket's
 * `data` handler costs, against a view of an ordinary buffer. One client on 127.0.0.1 sends 44-byte packets one at a
 * time (each its own read); the server times its first and second subarray of each chunk with Bun.nanoseconds().
 *
 *   bun bench/platform/chunk-view.ts [rounds=3000]
 */
export {};
const rounds = Number(process.argv[2] ?? 3000);
const first: number[] = [];
const second: number[] = [];
const plain: number[] = [];
const empty: number[] = [];
const big = new Uint8Array(1 << 16);

const server = Bun.listen<undefined>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    binaryType: "uint8array",
    data(s, chunk) {
      const t0 = Bun.nanoseconds();
      const a = chunk.subarray(0, 22);
      const t1 = Bun.nanoseconds();
      const b = chunk.subarray(22, 44);
      const t2 = Bun.nanoseconds();
      const c = big.subarray(0, 22);
      const t3 = Bun.nanoseconds();
      const t4 = Bun.nanoseconds();
      first.push(t1 - t0);
      second.push(t2 - t1);
      plain.push(t3 - t2);
      empty.push(t4 - t3);
      s.write(a.length + b.length + c.length === 66 ? "k" : "x");
    },
  },
});

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1]!;
const packet = new Uint8Array(44).fill(7);
let left = rounds;
const done = Promise.withResolvers<void>();
const client = await Bun.connect<undefined>({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    data(s) {
      if (--left > 0) s.write(packet);
      else done.resolve();
    },
  },
});
client.write(packet);
await done.promise;
client.end();
server.stop(true);
console.log(`${rounds} reads of one 44-byte packet, median ns per call (Bun ${Bun.version}):`);
console.log(`  first subarray of the data chunk   ${median(first)}`);
console.log(`  second subarray of the same chunk  ${median(second)}`);
console.log(`  subarray of a 64 KiB Uint8Array    ${median(plain)}`);
console.log(`  nothing (the timer itself)         ${median(empty)}`);
