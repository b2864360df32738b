// Where a TOML error is: Bun.TOML says what but not where, so config/toml-locate.ts finds the line, including inside
// multi-line arrays and inline tables (the earlier locator blamed the line that opened the array for any error in it),
// and the line of a key set inside an inline table or of one element of a multi-line array.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readConfigFile } from "../../src/config/load-config.ts";
import { locateKey, locateParseError } from "../../src/config/toml-locate.ts";
import { runGrocketd } from "../helpers/grocketd.ts";

const dir = mkdtempSync(join(tmpdir(), "grocketd-toml-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (...l: string[]) => l.join("\n") + "\n";

describe("TOML syntax errors point at their line", () => {
  test("inside a multi-line array: a missing comma, a bare word, a header where an element belongs", () => {
    const missingComma = lines("[server]", "listen = [", '  "tcp://127.0.0.1:0",', '  "http://127.0.0.1:0"', '  "udp://127.0.0.1:0",', "]", "[io]", "threads = 1");
    expect(locateParseError(missingComma)).toEqual({ line: 5, context: "in the array that begins on line 2" });
    const bare = lines("[server]", "listen = [", '  "tcp://127.0.0.1:0",', "  bogus,", "]");
    expect(locateParseError(bare)).toEqual({ line: 4, context: "in the array that begins on line 2" });
    const unclosed = lines("[server]", "listen = [", '  "tcp://127.0.0.1:0",', "", "[io]", "threads = 1");
    expect(locateParseError(unclosed)).toEqual({ line: 5, context: "in the array that begins on line 2" });
    const atEof = lines("[server]", "listen = [", '  "a",');
    expect(locateParseError(atEof)).toEqual({ line: 2, context: "the array that begins here is never closed" });
    // A multi-line string and a comment holding brackets inside the array do not confuse it.
    const tricky = lines("[server]", "listen = [ # [", '  """', "[io]", '""",', '  "a" "b",', "]");
    expect(locateParseError(tricky)).toEqual({ line: 6, context: "in the array that begins on line 2" });
  });

  test("inside inline tables, on one line or spread over several, and inside an array of them", () => {
    expect(locateParseError(lines("[modules.kv]", "limits = { max = 1, min = }", "[io]", "threads = 1"))).toEqual({ line: 2, context: "" });
    const spread = lines("[modules.kv]", "limits = {", "  max = 1,", "  min = ,", "}", "[io]", "threads = 1");
    expect(locateParseError(spread)).toEqual({ line: 4, context: "in the inline table that begins on line 2" });
    const routes = lines("[modules.kv]", "routes = [", '  { path = "/a", port = 1 },', '  { path = "/b" port = 2 },', "]");
    expect(locateParseError(routes)).toEqual({ line: 4, context: "in the array that begins on line 2" });
  });

  test("the message of a config file names the line and the construct", () => {
    const f = join(dir, "bad.toml");
    writeFileSync(f, lines("[server]", "listen = [", '  "tcp://127.0.0.1:0"', '  "http://127.0.0.1:0",', "]"));
    expect(() => readConfigFile(f)).toThrow(`${f} line 4 (in the array that begins on line 2): not valid TOML:`);
  });
});

describe("keys are found where they are set", () => {
  test("inline tables, dotted keys, elements of multi-line arrays, past multi-line strings", () => {
    expect(locateKey(lines("io = { threads = -1 }"), "io.threads")).toBe(1);
    expect(locateKey(lines("io.threads = -1"), "io.threads")).toBe(1);
    expect(locateKey(lines("[server]", "listen = [", '  "tcp://a:1",', '  "bad",', "]"), "server.listen[1]")).toBe(4);
    expect(locateKey(lines("[modules.x]", "t = { a = 1,", "  b = { c = [1,", "  2] } }"), "modules.x.t.b.c.1")).toBe(4);
    expect(locateKey(lines("[http]", 'server_header = """', "[io]", "threads = 1", '"""', "[io]", "threads = -1"), "io.threads")).toBe(7);
    expect(locateKey(lines("[server]", "x = { threads = 5 }", "[io]", "threads = -1"), "io.threads")).toBe(4);
  });

  test("a bad value in a multi-line array or an inline table is reported at its own line", async () => {
    const f = join(dir, "values.toml");
    writeFileSync(f, lines('log = { level = "loud" }', "[server]", "listen = [", '  "tcp://127.0.0.1:0",', '  "tcp://127.0.0.1:99999",', "]", "[io]", "cpu_affinity = [", "  0,", "  -3,", "]"));
    const r = await runGrocketd(["--check", "--config", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f} line 1: log.level = "loud"`);
    expect(r.stderr).toContain(`${f} line 5: server.listen[1] = "tcp://127.0.0.1:99999"`);
    expect(r.stderr).toContain(`${f} line 10: io.cpu_affinity[1] = -3`);
  });
});
