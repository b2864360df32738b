/**
 * @module http/llhttp/wasm-runtime
 * The per-thread llhttp instance (one per Bun worker: module state is per isolate) and its ONE input buffer in
 * WASM memory, shared by every connection of the thread (JS is single-threaded and execute() is not re-entrant).
 * Also the views over WASM memory: memory only grows inside malloc, and a grown memory has a new ArrayBuffer, so
 * the views are re-created there and nowhere else (undici's client-h1 does the same).
 */
import { llhttpError } from "./llhttp-errors.ts";
import type { LatinBuffer } from "./parsed-head.ts";
import { type LlhttpExports, type LlhttpImports, instantiateLlhttp } from "./wasm-loader.ts";

/** First size of the shared input buffer; it grows to fit a read up to MAX_INPUT_BYTES (Bun reads ≤ 512 KiB). */
const INITIAL_INPUT_BYTES = 64 * 1024;
export const MAX_INPUT_BYTES = 1024 * 1024;

export class WasmRuntime {
  readonly exp: LlhttpExports;
  /** Buffer over all of WASM memory (latin1Slice, copy) and a u32 view for llhttp_t's content_length. */
  mem: LatinBuffer;
  mem32: Uint32Array;
  /** The shared input buffer: [inPtr, inPtr + inCap). */
  inPtr = 0;
  inCap = 0;
  private memAB: ArrayBuffer;
  private readonly onGrow: () => void;

  constructor(env: LlhttpImports, onGrow: () => void) {
    this.exp = instantiateLlhttp(env);
    this.onGrow = onGrow;
    this.memAB = this.exp.memory.buffer;
    this.mem = Buffer.from(this.memAB) as LatinBuffer;
    this.mem32 = new Uint32Array(this.memAB);
    this.inPtr = this.malloc(INITIAL_INPUT_BYTES);
    this.inCap = INITIAL_INPUT_BYTES;
  }

  /** WASM malloc; throws GRK_ERR_LLHTTP_ALLOC on NULL. Re-creates the views if memory grew. */
  malloc(size: number): number {
    const ptr = this.exp.malloc(size);
    if (ptr === 0) throw llhttpError("GRK_ERR_LLHTTP_ALLOC", "malloc", { size });
    this.refreshViews();
    return ptr;
  }

  /** llhttp_alloc; the same NULL check and view refresh. */
  allocParser(type: number): number {
    const ptr = this.exp.llhttp_alloc(type);
    if (ptr === 0) throw llhttpError("GRK_ERR_LLHTTP_ALLOC", "parser", {});
    this.refreshViews();
    return ptr;
  }

  /** Replaces the input buffer by one of at least `need` bytes (power-of-two steps). Nothing live points into it. */
  growInput(need: number): void {
    let cap = this.inCap * 2;
    while (cap < need) cap *= 2;
    this.exp.free(this.inPtr);
    this.inPtr = 0;
    this.inPtr = this.malloc(cap);
    this.inCap = cap;
  }

  private refreshViews(): void {
    const ab = this.exp.memory.buffer;
    if (ab === this.memAB) return;
    this.memAB = ab;
    this.mem = Buffer.from(ab) as LatinBuffer;
    this.mem32 = new Uint32Array(ab);
    this.onGrow();
  }
}

let runtime: WasmRuntime | undefined;

/** The thread's runtime, created on first use with the binding's callbacks. */
export function llhttpRuntime(env: LlhttpImports, onGrow: () => void): WasmRuntime {
  return (runtime ??= new WasmRuntime(env, onGrow));
}
