/**
 * @module http/llhttp/wasm-loader
 * Loads llhttp's WASM binary from the exact-pinned `llhttp-wasm` package (docs/platform-notes.md, "The llhttp-wasm
 * package") and checks it before anything runs it: SHA-256 against a pinned constant, plus the 8 imports / 40
 * exports of the llhttp 9.x WASM ABI. The package keeps the binary as a base64 string in a module-private `let binaryString`, so the
 * JS file is read as text; its `Parser` is never used (it corrupts split headers: same section).
 *
 * The compiled module is cached per thread (each Bun worker has its own module graph). `instantiateLlhttp` makes an
 * instance with the caller's callbacks and runs `_initialize` once; the binding (parser.ts) calls it once per thread.
 *
 *   const exp = instantiateLlhttp(env);   // throws LlhttpError GRK_ERR_LLHTTP_BINARY on a wrong install
 */
// The package's JS file as a file import: from source this is its path in node_modules (read lazily, below); in the
// single binary (`bun run build`) the bundler embeds the file and this is its path in Bun's embedded file system; in
// the pre-bundled runtime (src/build/build-dist.ts) it is copied to the bundle's folder and this is relative to
// the entry file (resolved below against entry-path.ts BUNDLE_FILE_DIR; "./<name>.js" against an ESM chunk's
// import.meta.dir).
import * as llhttpJsFile from "llhttp-wasm/out/index.js" with { type: "file" };
import llhttpPackage from "llhttp-wasm/package.json" with { type: "json" };
import { llhttpError } from "./llhttp-errors.ts";
import { startupMark } from "../../log/startup-trace.ts";
import { BUNDLE_FILE_DIR } from "../../entry-path.ts";

const LLHTTP_PACKAGE = "llhttp-wasm";
/** SHA-256 of the binary in llhttp-wasm@1.0.3 (llhttp 9.3.0, clang -Ofast, no SIMD; `bun bench/platform/llhttp-package.ts` prints it). */
export const LLHTTP_WASM_SHA256 = "259f8302ac0f7fd7d38469e0d16b505e59c6b432cc5eb856be4d012260de0e11";

/** `env` imports of llhttp's `src/native/api.c` `__wasm__` block; all take and return i32. */
const LLHTTP_IMPORTS: readonly string[] = [
  "wasm_on_message_begin", "wasm_on_url", "wasm_on_status", "wasm_on_header_field", "wasm_on_header_value",
  "wasm_on_headers_complete", "wasm_on_body", "wasm_on_message_complete",
];

export const LLHTTP_EXPORTS: readonly string[] = [
  "memory", "_initialize", "__indirect_function_table", "malloc", "free",
  "llhttp_alloc", "llhttp_free", "llhttp_init", "llhttp_settings_init", "llhttp_execute", "llhttp_finish", "llhttp_reset",
  "llhttp_pause", "llhttp_resume", "llhttp_resume_after_upgrade",
  "llhttp_get_type", "llhttp_get_http_major", "llhttp_get_http_minor", "llhttp_get_method", "llhttp_get_status_code",
  "llhttp_get_upgrade", "llhttp_get_errno", "llhttp_get_error_reason", "llhttp_get_error_pos",
  "llhttp_set_error_reason", "llhttp_errno_name", "llhttp_method_name", "llhttp_status_name",
  "llhttp_should_keep_alive", "llhttp_message_needs_eof",
  "llhttp_set_lenient_headers", "llhttp_set_lenient_chunked_length", "llhttp_set_lenient_keep_alive",
  "llhttp_set_lenient_transfer_encoding", "llhttp_set_lenient_version", "llhttp_set_lenient_data_after_close",
  "llhttp_set_lenient_optional_lf_after_cr", "llhttp_set_lenient_optional_crlf_after_chunk",
  "llhttp_set_lenient_optional_cr_before_lf", "llhttp_set_lenient_spaces_after_chunk_size",
];

/** The callbacks the instance needs: `(parser, at, len)` for spans, `(parser)` for events. Return 0 to continue. */
export interface LlhttpImports {
  wasm_on_message_begin(p: number): number;
  wasm_on_url(p: number, at: number, len: number): number;
  wasm_on_status(p: number, at: number, len: number): number;
  wasm_on_header_field(p: number, at: number, len: number): number;
  wasm_on_header_value(p: number, at: number, len: number): number;
  wasm_on_headers_complete(p: number, statusCode: number, upgrade: number, shouldKeepAlive: number): number;
  wasm_on_body(p: number, at: number, len: number): number;
  wasm_on_message_complete(p: number): number;
}

/** The subset of the 40 exports the binding calls (all pointers are i32 offsets into `memory`). */
export interface LlhttpExports {
  readonly memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(parser: number): void;
  llhttp_execute(parser: number, data: number, len: number): number;
  llhttp_finish(parser: number): number;
  llhttp_reset(parser: number): void;
  llhttp_resume(parser: number): void;
  llhttp_resume_after_upgrade(parser: number): void;
  llhttp_get_method(parser: number): number;
  llhttp_get_http_major(parser: number): number;
  llhttp_get_http_minor(parser: number): number;
  llhttp_get_error_reason(parser: number): number;
  llhttp_get_error_pos(parser: number): number;
  llhttp_errno_name(errno: number): number;
  llhttp_method_name(method: number): number;
}

export interface LlhttpBinarySource {
  /** Package name and installed version, for error messages. */
  readonly pkg: string;
  readonly version: string;
  /** Where the bytes came from (resolved file path). */
  readonly file: string;
}

export interface LlhttpBinaryExpectation {
  readonly sha256: string;
  readonly imports: readonly string[];
  readonly exports: readonly string[];
}

export const PINNED_LLHTTP_BINARY: LlhttpBinaryExpectation = {
  sha256: LLHTTP_WASM_SHA256,
  imports: LLHTTP_IMPORTS,
  exports: LLHTTP_EXPORTS,
};

/**
 * Checks `bytes` against `expected` and returns the compiled module. On any mismatch throws one LlhttpError
 * (`GRK_ERR_LLHTTP_BINARY`) naming the package, its version, and expected vs actual (hash, missing/extra names);
 * every difference is also listed in `err.problems`.
 */
export function verifyLlhttpBinary(
  bytes: Uint8Array,
  expected: LlhttpBinaryExpectation = PINNED_LLHTTP_BINARY,
  source: LlhttpBinarySource = { pkg: LLHTTP_PACKAGE, version: "unknown", file: "(bytes)" },
): WebAssembly.Module {
  const problems = hashProblems(bytes, expected);
  let mod: WebAssembly.Module | undefined;
  try {
    mod = new WebAssembly.Module(bytes);
  } catch (err) {
    problems.push(notWasm(err));
  }
  return checkedModule(mod, problems, expected, source);
}

/** verifyLlhttpBinary with the compile done off this thread (WebAssembly.compile): the same checks, the same errors. */
export async function verifyLlhttpBinaryAsync(
  bytes: Uint8Array,
  expected: LlhttpBinaryExpectation = PINNED_LLHTTP_BINARY,
  source: LlhttpBinarySource = { pkg: LLHTTP_PACKAGE, version: "unknown", file: "(bytes)" },
): Promise<WebAssembly.Module> {
  const problems = hashProblems(bytes, expected);
  let mod: WebAssembly.Module | undefined;
  try {
    mod = await WebAssembly.compile(bytes);
  } catch (err) {
    problems.push(notWasm(err));
  }
  return checkedModule(mod, problems, expected, source);
}

function hashProblems(bytes: Uint8Array, expected: LlhttpBinaryExpectation): string[] {
  const actualHash = new Bun.CryptoHasher("sha256").update(bytes).digest("hex"); // not node:crypto: that import costs start-up
  return actualHash === expected.sha256 ? [] : [`SHA-256 is ${actualHash}, expected ${expected.sha256}`];
}

function notWasm(err: unknown): string {
  return `not a valid WebAssembly module (${err instanceof Error ? err.message : String(err)})`;
}

function checkedModule(
  mod: WebAssembly.Module | undefined,
  problems: string[],
  expected: LlhttpBinaryExpectation,
  source: LlhttpBinarySource,
): WebAssembly.Module {
  if (mod !== undefined) {
    const imports = WebAssembly.Module.imports(mod);
    const badModule = imports.filter((d) => d.module !== "env").map((d) => `${d.module}.${d.name}`);
    if (badModule.length > 0) problems.push(`imports outside "env": ${badModule.join(", ")}`);
    diffNames("imports", expected.imports, imports.map((d) => d.name), problems);
    diffNames("exports", expected.exports, WebAssembly.Module.exports(mod).map((d) => d.name), problems);
  }
  if (problems.length > 0 || mod === undefined) {
    const found = problems.join("; ");
    throw llhttpError("GRK_ERR_LLHTTP_BINARY", "notPinned", { source: `${source.pkg}@${source.version} (${source.file})`, found }, { problems });
  }
  return mod;
}

function diffNames(what: string, expected: readonly string[], actual: readonly string[], out: string[]): void {
  const have = new Set(actual);
  const want = new Set(expected);
  const missing = expected.filter((n) => !have.has(n));
  const extra = actual.filter((n) => !want.has(n));
  if (missing.length > 0) out.push(`missing ${what}: ${missing.join(", ")}`);
  if (extra.length > 0) out.push(`unexpected ${what}: ${extra.join(", ")}`);
}

/** Reads the base64 binary out of the installed package (resolved by the import above, never a hard-coded path). */
export function readLlhttpPackageBinary(): { bytes: Uint8Array; source: LlhttpBinarySource } {
  let file = "(unresolved)";
  let version = "unknown";
  try {
    file = (llhttpJsFile as unknown as { default: string }).default;
    if (BUNDLE_FILE_DIR !== undefined && !file.startsWith("/")) file = `${BUNDLE_FILE_DIR}/${file}`; // "../../index-….js"
    else if (file.startsWith("./")) file = `${import.meta.dir}/${file.slice(2)}`;
    if (typeof llhttpPackage.version === "string") version = llhttpPackage.version;
    // node:fs at first use, not imported: an I/O thread adopts the master's module and never reads the file, and
    // the import would cost it ~3 ms of CPU at start (bench/startup.ts --perf).
    const text = (require("node:fs") as typeof import("node:fs")).readFileSync(file, "latin1");
    const m = /\bbinaryString\s*=\s*"([A-Za-z0-9+/=]+)"/.exec(text);
    if (m === null) throw new Error(`no \`binaryString = "<base64>"\` in ${file}`);
    return { bytes: Buffer.from(m[1]!, "base64"), source: { pkg: LLHTTP_PACKAGE, version, file } };
  } catch (err) {
    throw llhttpError("GRK_ERR_LLHTTP_BINARY", "unreadable", { pkg: LLHTTP_PACKAGE, version, file, reason: err instanceof Error ? err.message : String(err) }, { cause: err });
  }
}

let cachedModule: WebAssembly.Module | undefined;
let compiling: Promise<WebAssembly.Module> | undefined;

/** The verified module, compiled once per thread (or adopted from the master, below). */
export function llhttpModule(): WebAssembly.Module {
  return (cachedModule ??= compilePinned());
}

/**
 * The verified module, compiled off this thread: the master starts it as soon as its config says HTTP will be
 * served (master/start-plan.ts), so the compile (~10 ms on a quiet machine, the largest single part of validation)
 * runs while the modules are imported and checked. Once per thread; a failure rejects with llhttpModule()'s error.
 */
export function llhttpModuleAsync(): Promise<WebAssembly.Module> {
  if (cachedModule !== undefined) return Promise.resolve(cachedModule);
  return (compiling ??= compilePinnedAsync().then((m) => (cachedModule ??= m)));
}

async function compilePinnedAsync(): Promise<WebAssembly.Module> {
  startupMark("wasm", "compile-start");
  const { bytes, source } = readLlhttpPackageBinary();
  const mod = await verifyLlhttpBinaryAsync(bytes, PINNED_LLHTTP_BINARY, source);
  startupMark("wasm", "compile-done");
  return mod;
}

/**
 * Takes the module another thread of this process compiled with llhttpModule() (a WebAssembly.Module can be posted
 * to a Worker and shares its compiled code), so an I/O thread neither reads, hashes nor compiles the binary again.
 * Its imports and exports are checked again here (cheap: no compile); the SHA-256 was checked where it was compiled.
 */
export function adoptLlhttpModule(mod: WebAssembly.Module): void {
  const problems: string[] = [];
  diffNames("imports", LLHTTP_IMPORTS, WebAssembly.Module.imports(mod).map((d) => d.name), problems);
  diffNames("exports", LLHTTP_EXPORTS, WebAssembly.Module.exports(mod).map((d) => d.name), problems);
  if (problems.length > 0) {
    throw llhttpError("GRK_ERR_LLHTTP_BINARY", "adopted", { found: problems.join("; ") }, { problems });
  }
  cachedModule = mod;
}

function compilePinned(): WebAssembly.Module {
  startupMark("wasm", "compile-start");
  const { bytes, source } = readLlhttpPackageBinary();
  const mod = verifyLlhttpBinary(bytes, PINNED_LLHTTP_BINARY, source);
  startupMark("wasm", "compile-done");
  return mod;
}

/** A new instance wired to `env`, with `_initialize` already run (call once per thread). */
export function instantiateLlhttp(env: LlhttpImports): LlhttpExports {
  const instance = new WebAssembly.Instance(llhttpModule(), { env } as unknown as Bun.WebAssembly.Imports);
  const exp = instance.exports as unknown as LlhttpExports & { _initialize(): void };
  exp._initialize();
  return exp;
}
