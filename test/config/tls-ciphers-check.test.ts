// tls.ciphers is checked at start-up whether or not a TLS entry is listed; the built-in list is skipped without one
// (config/tls-check.ts: checking loads node:tls, milliseconds of every start). A bad list is refused either way.
import { describe, expect, test } from "bun:test";
import { defaultConfig } from "../../src/config/keys.ts";
import { checkTlsFiles } from "../../src/config/tls-check.ts";

const plain = () => {
  const c = defaultConfig();
  c.server.listen = ["http://127.0.0.1:0"];
  return c;
};

describe("tls.ciphers check", () => {
  test("the built-in list without a TLS entry: nothing to report", () => {
    expect(checkTlsFiles(plain(), process.cwd())).toEqual([]);
  });

  test("a list that selects nothing is refused without a TLS entry too", () => {
    const c = plain();
    c.tls.ciphers = "NOT-A-CIPHER";
    const problems = checkTlsFiles(c, process.cwd());
    expect(problems.length).toBe(1);
    expect(problems[0]).toContain('tls.ciphers = "NOT-A-CIPHER": selects no cipher suite');
  });
});
