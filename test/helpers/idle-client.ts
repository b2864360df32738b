// A child process for the idle-memory tests (test/helpers/idle-heap.ts): opens N connections to 127.0.0.1:PORT, 64
// at a time, each used once (HTTP: one GET answered; TCP: one 44-byte packet echoed, test/helpers/kiss.ts), prints "ready" and holds them
// until its stdin closes, or for 60 s at most, so it never outlives a failed test.
// Usage: bun test/helpers/idle-client.ts PORT N http|tcp
export {};
const [port, n, kind] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const req = kind === "http" ? "GET / HTTP/1.1\r\nHost: h\r\n\r\n" : "7".padStart(44, "0");
const served = (got: string) => (kind === "http" ? got.includes("\r\n\r\n") : got.length >= req.length);
const held: unknown[] = [];
setTimeout(() => process.exit(3), 60_000);
const one = () =>
  new Promise<void>((resolve, reject) => {
    let got = "";
    void Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => void s.write(req),
        data: (s, d) => {
          got += d.toString("latin1");
          if (served(got)) {
            held.push(s);
            resolve();
          }
        },
        close: () => reject(new Error("closed by the server")),
        error: (_s, e) => reject(e),
        connectError: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
for (let i = 0; i < n; i += 64) await Promise.all(Array.from({ length: Math.min(64, n - i) }, one));
console.log("ready");
for await (const _ of Bun.stdin.stream());
process.exit(0);
