/**
 * Platform probe (docs/platform-notes.md "The llhttp-wasm package"): the SHA-256 of the WASM binary inside the pinned
 * llhttp-wasm package, and two faults of the package's own JS `Parser` that src/http/llhttp avoids by binding the
 * binary itself: a `TYPE.REQUEST` parser also parses responses, and a URL or header split over two execute() calls
 * comes out wrong.
 *
 *   bun bench/platform/llhttp-package.ts
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const file = require.resolve("llhttp-wasm/out/index.js");
const b64 = /let binaryString = "([^"]+)"/.exec(readFileSync(file, "utf8"))![1]!;
const wasm = Buffer.from(b64, "base64");
console.log(`binary: ${wasm.length} bytes, sha256 ${createHash("sha256").update(wasm).digest("hex")}`);

const pkg = require("llhttp-wasm") as {
  createParser(type: number): {
    execute(b: Uint8Array): number;
    onHeadersComplete?: (m: { url?: string; rawHeaders: string[]; statusCode?: number }) => number;
  };
  TYPE: Record<string, number>;
};
const parse = (type: number, ...chunks: string[]) => {
  const p = pkg.createParser(type);
  let head: { url?: string; rawHeaders: string[]; statusCode?: number } | undefined;
  p.onHeadersComplete = (m) => ((head = m), 0);
  let rc = 0;
  for (const c of chunks) rc = p.execute(new TextEncoder().encode(c));
  return { rc, url: head?.url, rawHeaders: head?.rawHeaders, statusCode: head?.statusCode };
};
console.log(`TYPE = ${JSON.stringify(pkg.TYPE)}; TYPE.REQUEST parser fed a response:`,
  JSON.stringify(parse(pkg.TYPE.REQUEST!, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")));
const req = "GET /some/long/path HTTP/1.1\r\nHost: a\r\nX-Long: value\r\n\r\n";
console.log("whole:", JSON.stringify(parse(pkg.TYPE.REQUEST!, req)));
for (const cut of [5, 33]) console.log(`cut at ${cut}:`, JSON.stringify(parse(pkg.TYPE.REQUEST!, req.slice(0, cut), req.slice(cut))));
