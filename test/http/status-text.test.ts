// src/http/status-text.ts writes node:http's STATUS_CODES out instead of importing node:http (whose import costs
// every thread start-up time): the copy must stay node:http's table, with only RFC 9110's two renamed phrases.
import { describe, expect, test } from "bun:test";
import { STATUS_CODES } from "node:http";
import { statusText } from "../../src/http/status-text.ts";

describe("statusText", () => {
  test("every code node:http knows has node:http's phrase, except the two RFC 9110 renamed", () => {
    const renamed: Record<string, string> = { "413": "Content Too Large", "422": "Unprocessable Content" };
    const codes = Object.keys(STATUS_CODES);
    expect(codes.length).toBeGreaterThan(50);
    for (const c of codes) expect(`${c} ${statusText(Number(c))}`).toBe(`${c} ${renamed[c] ?? STATUS_CODES[c]}`);
  });

  test("a code nobody registered is Unknown", () => {
    expect(statusText(299)).toBe("Unknown");
    expect(statusText(599)).toBe("Unknown");
  });
});
