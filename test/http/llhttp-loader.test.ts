/**
 * The WASM loader: the installed package holds the pinned binary, and a wrong binary fails with a message that
 * names the package, its version, and what differs.
 */
import { describe, expect, test } from "bun:test";
import { startGrocketd } from "../helpers/grocketd.ts";
import { isGrocketdError } from "../../src/errors.ts";
import { buildStartPlan } from "../../src/master/start-plan.ts";
import { type LlhttpError } from "../../src/http/llhttp/llhttp-errors.ts";
import {
  LLHTTP_EXPORTS, LLHTTP_WASM_SHA256, PINNED_LLHTTP_BINARY, adoptLlhttpModule, llhttpModule, llhttpModuleAsync, readLlhttpPackageBinary,
  verifyLlhttpBinary, verifyLlhttpBinaryAsync,
} from "../../src/http/llhttp/wasm-loader.ts";

function catchErr(fn: () => unknown): LlhttpError {
  try {
    fn();
  } catch (err) {
    return err as LlhttpError;
  }
  throw new Error("expected a throw");
}

describe("llhttp wasm loader", () => {
  const { bytes, source } = readLlhttpPackageBinary();

  test("a module handed over from another thread is adopted only if it has llhttp's imports and exports", () => {
    // The smallest valid WASM module: no imports, no exports.
    const empty = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const err = catchErr(() => adoptLlhttpModule(empty));
    expect(err.code).toBe("GRK_ERR_LLHTTP_BINARY");
    expect(err.message).toContain("missing imports: wasm_on_message_begin");
    expect(err.message).toContain("missing exports: memory");
    const mine = llhttpModule();
    adoptLlhttpModule(mine);
    expect(llhttpModule()).toBe(mine);
  });

  test("reads the pinned binary from the installed llhttp-wasm@1.0.3", () => {
    expect(source.pkg).toBe("llhttp-wasm");
    expect(source.version).toBe("1.0.3");
    expect(bytes.length).toBe(60347);
    expect(verifyLlhttpBinary(bytes, PINNED_LLHTTP_BINARY, source)).toBeInstanceOf(WebAssembly.Module);
    expect(llhttpModule()).toBe(llhttpModule()); // compiled once per thread
  });

  test("a changed byte fails the hash check with package, version, expected and actual", () => {
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 1] ^= 0xff; // last byte of a data/name section: still a valid module
    const err = catchErr(() => verifyLlhttpBinary(bad, PINNED_LLHTTP_BINARY, source));
    expect(isGrocketdError(err)).toBe(true);
    expect(err.code).toBe("GRK_ERR_LLHTTP_BINARY");
    expect(err.message).toContain("llhttp-wasm@1.0.3");
    expect(err.message).toContain(`expected ${LLHTTP_WASM_SHA256}`);
    expect(err.message).toMatch(/SHA-256 is [0-9a-f]{64}/);
  });

  test("export/import differences are listed by name", () => {
    const expected = {
      sha256: LLHTTP_WASM_SHA256,
      imports: [...PINNED_LLHTTP_BINARY.imports, "wasm_on_chunk_header"],
      exports: [...LLHTTP_EXPORTS.filter((n) => n !== "llhttp_message_needs_eof"), "llhttp_get_flags"],
    };
    const err = catchErr(() => verifyLlhttpBinary(bytes, expected, source));
    expect(err.problems).toEqual([
      "missing imports: wasm_on_chunk_header",
      "missing exports: llhttp_get_flags",
      "unexpected exports: llhttp_message_needs_eof",
    ]);
  });

  test("an empty module and garbage bytes are reported", () => {
    const empty = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    const e1 = catchErr(() => verifyLlhttpBinary(empty));
    expect(e1.message).toContain("missing imports: wasm_on_message_begin");
    expect(e1.message).toContain("missing exports: memory, _initialize");
    const e2 = catchErr(() => verifyLlhttpBinary(Uint8Array.of(1, 2, 3)));
    expect(e2.message).toContain("not a valid WebAssembly module");
  });

  test("the compile off the thread makes the same checks with the same errors, and its module is the thread's one", async () => {
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 1] ^= 0xff;
    for (const b of [bad, Uint8Array.of(1, 2, 3), Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)]) {
      const sync = catchErr(() => verifyLlhttpBinary(b, PINNED_LLHTTP_BINARY, source));
      const async = (await verifyLlhttpBinaryAsync(b, PINNED_LLHTTP_BINARY, source).then(() => new Error("expected a rejection"), (e) => e)) as LlhttpError;
      expect(async.code).toBe("GRK_ERR_LLHTTP_BINARY");
      expect(async.problems.map((p) => p.replace(/ \(.*\)$/, ""))).toEqual(sync.problems.map((p) => p.replace(/ \(.*\)$/, "")));
    }
    expect(await verifyLlhttpBinaryAsync(bytes, PINNED_LLHTTP_BINARY, source)).toBeInstanceOf(WebAssembly.Module);
    expect(await llhttpModuleAsync()).toBe(llhttpModule()); // one module per thread, whichever way it came
  });

  test("the plan starts the parser check early when the listen entries are HTTP, and reports its failure as before", async () => {
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 1] ^= 0xff;
    const calls: string[] = [];
    let early: Promise<WebAssembly.Module> | undefined;
    const checks = {
      prepareHttpParser: () => {
        calls.push("prepare");
        early = verifyLlhttpBinaryAsync(bad, PINNED_LLHTTP_BINARY, source);
        early.catch(() => {});
      },
      httpParser: async () => {
        calls.push("check");
        await (early ?? verifyLlhttpBinaryAsync(bad, PINNED_LLHTTP_BINARY, source));
      },
    };
    const cli = (listen: string[]) => ({ modules: [], listen, check: true, help: false, version: false });
    const refused = await buildStartPlan(cli(["ws://127.0.0.1:0/chat"]), {}, "/", checks).then(() => undefined, (e) => e);
    expect(calls).toEqual(["prepare", "check"]);
    expect((refused as { problems: string[] }).problems[0]).toMatch(/^server\.listen: ws:\/\/127\.0\.0\.1:0\/chat needs the llhttp parser: .*SHA-256 is [0-9a-f]{64}/);
    calls.length = 0;
    early = undefined;
    await buildStartPlan(cli(["tcp://127.0.0.1:0"]), {}, "/", checks);
    expect(calls).toEqual([]);
  });

  test("start-up (and --check) refuses an http:// entry when the binary fails its check; tcp-only plans skip it", async () => {
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 1] ^= 0xff;
    const checks = { httpParser: () => void verifyLlhttpBinary(bad, PINNED_LLHTTP_BINARY, source) };
    const cli = (listen: string[]) => ({ modules: [], listen, check: true, help: false, version: false });
    let refused: unknown;
    try {
      await buildStartPlan(cli(["tcp://127.0.0.1:0", "http://127.0.0.1:0"]), {}, "/", checks);
    } catch (err) {
      refused = err;
    }
    expect(isGrocketdError(refused)).toBe(true);
    const problems = (refused as { problems: string[] }).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^server\.listen: http:\/\/127\.0\.0\.1:0 needs the llhttp parser: .*llhttp-wasm@1\.0\.3.*SHA-256 is [0-9a-f]{64}, expected [0-9a-f]{64}/);
    const plan = await buildStartPlan(cli(["tcp://127.0.0.1:0"]), {}, "/", checks);
    expect(plan.bindings.map((b) => b.entry.protocol)).toEqual(["tcp"]);
  });

  test("llhttp is compiled once per start, by the master, for WebSocket-only entries too (the I/O threads adopt it)", async () => {
    const running = await startGrocketd(["--threads", "2", "--listen", "ws://127.0.0.1:0/echo"], { env: { GROCKETD_STARTUP_TRACE: "1" } });
    try {
      expect(running.output().match(/grocketd-startup wasm compile-start /g)).toHaveLength(1);
    } finally {
      await running.stop();
    }
  }, 30_000);
});
