// The README's HTTP example does what the README says: a JSON POST answered 201, a streamed chunked body, a string
// body with the decoded query and the client's address.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import api from "../fixtures/modules/readme-api.ts";
import { startInProcess, type InProcessServer } from "../helpers/in-process.ts";

let server: InProcessServer | undefined;
afterEach(() => {
  server?.stop();
  server = undefined;
});

describe("README HTTP example (RFC 9110 §15.3.2 201, RFC 9112 §7.1 chunked)", () => {
  test("the README shows this module's code", () => {
    const readme = readFileSync(resolve(import.meta.dir, "../../README.md"), "utf8");
    const body = readFileSync(resolve(import.meta.dir, "../fixtures/modules/readme-api.ts"), "utf8");
    const hook = body.slice(body.indexOf("  async http"), body.lastIndexOf("});"));
    expect(readme).toContain(hook);
  });

  test("POST /items, /stream and a query", async () => {
    server = startInProcess(api, {}, { protocol: "http" });
    const base = `http://127.0.0.1:${server.port}`;
    const created = await fetch(`${base}/items`, { method: "POST", body: JSON.stringify({ name: "cup" }) });
    expect(created.status).toBe(201);
    expect(created.headers.get("content-type")).toBe("application/json");
    expect(await created.json()).toEqual({ name: "cup" });
    const streamed = await fetch(`${base}/stream`);
    expect(streamed.headers.get("transfer-encoding")).toBe("chunked");
    const lines = (await streamed.text()).split("\n").filter(Boolean);
    expect(lines.length).toBe(1000);
    expect(lines[999]).toBe("line 999");
    const hello = await fetch(`${base}/?name=J%C3%BCrgen`);
    expect(hello.status).toBe(200);
    expect(hello.headers.get("content-type")).toContain("text/plain");
    expect(await hello.text()).toBe("hello Jürgen from 127.0.0.1");
  });
});
