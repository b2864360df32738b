// An error crossing a thread (a ring record, a postMessage) keeps its class, code, message and stack
// (src/errors.ts errorToWire/errorFromWire), and its text is bounded by the record it travels in.
import { expect, test } from "bun:test";
import { errorFromWire, errorToWire, grocketdError, isGrocketdError, misuse } from "../../src/errors.ts";

test("a misuse error comes back as the same built-in class with its code, message and stack", () => {
  const sent = misuse(TypeError, "GRK_ERR_PROC_RESULT", "returned", { hook: "proc", got: "a number" });
  const got = errorFromWire(errorToWire(sent, 4096));
  expect(got).toBeInstanceOf(TypeError);
  expect((got as { code?: string }).code).toBe("GRK_ERR_PROC_RESULT");
  expect(got.message).toBe("proc returned a number, not a Uint8Array, a string, nothing or a Promise of one");
  expect(got.stack).toBe(sent.stack);
});

test("a GrocketdError stays one; a module's own error keeps its name and its code", () => {
  const g = errorFromWire(errorToWire(grocketdError("GRK_ERR_HANDLER_LOST", "died", {}), 4096));
  expect(isGrocketdError(g)).toBe(true);
  expect((g as { code?: string }).code).toBe("GRK_ERR_HANDLER_LOST");
  class DbError extends Error {
    override name = "DbError";
    code = "ECONNREFUSED";
  }
  const d = errorFromWire(errorToWire(new DbError("db down"), 4096));
  expect(d.name).toBe("DbError");
  expect(d.message).toBe("db down");
  expect((d as { code?: string }).code).toBe("ECONNREFUSED");
  expect(errorFromWire(errorToWire("a thrown string", 4096)).message).toBe("a thrown string");
});

test("the text fits the bound: the stack goes first, then the message is cut", () => {
  const big = new Error("x".repeat(10_000));
  const text = errorToWire(big, 1000);
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000);
  const back = errorFromWire(text);
  expect(back.message.length).toBeGreaterThan(0);
  expect("x".repeat(10_000).startsWith(back.message)).toBe(true);
  expect(Buffer.byteLength(errorToWire(big, 10))).toBeLessThanOrEqual(29);
});

test("text that is not the wire form (an older thread's plain message) is an Error with that message", () => {
  expect(errorFromWire("plain words").message).toBe("plain words");
});
