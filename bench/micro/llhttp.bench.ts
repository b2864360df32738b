/**
 * Microbenchmarks of the thin llhttp binding (src/http/llhttp) on a 198-byte browser-like request,
 * 1 request and 16 pipelined requests per execute(), at three levels of string work: offsets only,
 * url() + header("host"), and every string (method, url, all names and values). A floor row runs the same bytes
 * through a second instance whose imports do nothing: llhttp plus the WASM→JS calls, without the binding.
 *
 *   bun bench/micro/llhttp.bench.ts        # prints mitata's table; every row is 16 requests: divide by 16
 *
 * Importing the file only registers the benchmarks (a runner can import several files and call run() once).
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { type ParserEvents, RequestParser } from "../../src/http/llhttp/parser.ts";
import { instantiateLlhttp } from "../../src/http/llhttp/wasm-loader.ts";

const head =
  "GET /api/v1/users/12345?fields=name HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench/1.0\r\n" +
  "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nCookie: ";
const REQ = Buffer.from(`${head}${"session=abc".padEnd(198 - head.length - 4, "0")}\r\n\r\n`, "latin1");
if (REQ.length !== 198) throw new Error(`bench request is ${REQ.length} bytes, expected 198`);
const REQ16 = Buffer.concat(Array.from({ length: 16 }, () => REQ));

const enum Work { Offsets, UrlHost, All }

class Sink implements ParserEvents {
  acc = 0;
  constructor(private readonly work: Work) {}
  onHeadersComplete(): number {
    return 0;
  }
  onBody(): number {
    return 0;
  }
  onMessageComplete(p: RequestParser): number {
    if (this.work === Work.Offsets) {
      this.acc = (this.acc + p.headerCount + p.method) | 0;
    } else if (this.work === Work.UrlHost) {
      this.acc = (this.acc + p.url().length + p.header("host")!.length) | 0;
    } else {
      let n = p.methodName().length + p.url().length;
      for (let i = 0; i < p.headerCount; i++) n += p.headerName(i).length + p.headerValue(i).length;
      this.acc = (this.acc + n) | 0;
    }
    return 0;
  }
}

/** llhttp with no-op imports: what the binding cannot go below. */
function makeFloor(): (chunk: Uint8Array) => number {
  const noop = (): number => 0;
  const e = instantiateLlhttp({
    wasm_on_message_begin: noop, wasm_on_url: noop, wasm_on_status: noop, wasm_on_header_field: noop,
    wasm_on_header_value: noop, wasm_on_headers_complete: noop, wasm_on_body: noop, wasm_on_message_complete: noop,
  });
  const parser = e.llhttp_alloc(1);
  const input = e.malloc(64 * 1024);
  const mem = new Uint8Array(e.memory.buffer);
  return (chunk) => {
    mem.set(chunk, input);
    return e.llhttp_execute(parser, input, chunk.length);
  };
}

const LIMITS = { maxHeadBytes: 16 * 1024, maxHeaders: 100, maxUrlBytes: 8 * 1024 };
const variants: [string, Work][] = [["offsets only", Work.Offsets], ["url() + header(host)", Work.UrlHost], ["all strings", Work.All]];

// Every iteration parses 16 requests, so both groups read as "time per 16 requests" and sub-µs iterations do not
// dominate: 16 execute() calls of one request each, or one execute() of 16 pipelined requests.
const shapes = [
  ["1 request per execute, x16", (run: (c: Uint8Array) => number) => {
    let rc = 0;
    for (let i = 0; i < 16; i++) rc |= run(REQ);
    return rc;
  }],
  ["16 pipelined per execute", (run: (c: Uint8Array) => number) => run(REQ16)],
] as const;

for (const [label, shape] of shapes) {
  group(`llhttp binding, 198 B GET, ${label} (time per 16 requests)`, () => {
    summary(() => {
      const floor = makeFloor();
      bench("floor: llhttp + no-op imports", () => {
        do_not_optimize(shape(floor));
      });
      for (const [name, work] of variants) {
        const p = new RequestParser(new Sink(work), LIMITS);
        const run = (c: Uint8Array): number => p.execute(c);
        bench(name, () => {
          do_not_optimize(shape(run));
        });
      }
    });
  });
}

if (import.meta.main) await run();
