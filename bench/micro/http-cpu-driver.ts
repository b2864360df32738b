/**
 * `reads` read events after `warm` ones, each one read of `depth` pipelined requests, on a fake-socket connection
 * serving the hello module (fake-http.ts: the real path from onData to the socket write, without the kernel), and
 * the wall and CPU time per request of the measured part. For profiles with JavaScript names (docs/platform-notes.md,
 * "Profiling JIT code"): run it under `perf record` with BUN_JSC_useJITDump, then bench/jitdump-map.ts.
 * ROOT is the checkout whose src/ is measured (its bench/micro/fake-http.ts and modules/hello.ts are loaded), so one
 * copy of this driver measures an A/B baseline too.
 *   bun bench/micro/http-cpu-driver.ts ROOT WARM READS DEPTH [wrk|browser]
 */
import type { ModuleDefinition } from "../../src/module/types.ts";
import type { fakeHttpConnection as Fake } from "./fake-http.ts";

const root = process.argv[2]!;

const [warm, reads, depth] = process.argv.slice(3, 6).map(Number) as [number, number, number];
const shape = process.argv[6] ?? "wrk";
/** wrk's request, and one a browser sends (more fields, a longer target). */
const REQUESTS: Record<string, string> = {
  wrk: "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
  browser:
    "GET /index.html?lang=en&page=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n" +
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n" +
    "Connection: keep-alive\r\nCookie: session=abc123; theme=dark\r\nUpgrade-Insecure-Requests: 1\r\n\r\n",
};
const one = REQUESTS[shape];
if (one === undefined) throw new TypeError(`unknown request shape ${shape}`);
const hello = (await import(`${root}/modules/hello.ts`)).default as ModuleDefinition<unknown>;
const fakeHttpConnection = (await import(`${root}/bench/micro/fake-http.ts`)).fakeHttpConnection as typeof Fake;
const { c, s } = fakeHttpConnection(hello);
const buf = Buffer.from(one.repeat(depth), "latin1");
for (let i = 0; i < warm; i++) c.onData(buf);
const t = performance.now();
const cpu = process.cpuUsage();
for (let i = 0; i < reads; i++) c.onData(buf);
const used = process.cpuUsage(cpu);
const n = reads * depth;
// Wall and CPU (user + system) time per request of the measured reads, for a quick look without valgrind.
const nsPerRequest = n > 0 ? ((performance.now() - t) * 1e6) / n : 0;
const cpuNsPerRequest = n > 0 ? ((used.user + used.system) * 1e3) / n : 0;
process.stdout.write(`${JSON.stringify({ written: s.written, nsPerRequest, cpuNsPerRequest })}\n`);
