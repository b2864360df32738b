// The opening handshake rules (src/ws/ws-handshake.ts, RFC 6455 §4.2) and the server's frame writer.
import { describe, expect, test } from "bun:test";
import { acceptKey, checkUpgrade, selectProtocol, switchingProtocols } from "../../src/ws/ws-handshake.ts";
import { closePayload, frame } from "../../src/ws/ws-frame-writer.ts";
import { parseServerFrames } from "../helpers/ws-frames.ts";

const good: Record<string, string> = {
  host: "x", upgrade: "websocket", connection: "keep-alive, Upgrade", "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-protocol": "chat, superchat", origin: "http://example.com",
};
const req = (h: Record<string, string | undefined>, method = "GET", versionMinor = 1) => ({ method, versionMinor, header: (n: string) => h[n] });

describe("opening handshake", () => {
  test("§1.3 example: the key dGhlIHNhbXBsZSBub25jZQ== is accepted as s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", () => {
    expect(acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(switchingProtocols("dGhlIHNhbXBsZSBub25jZQ==", "chat")).toContain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n");
  });

  test("a valid request passes with its key, offered subprotocols and Origin", () => {
    expect(checkUpgrade(req(good))).toEqual({ ok: true, key: good["sec-websocket-key"]!, protocols: ["chat", "superchat"], origin: "http://example.com", extensions: undefined });
  });

  test("refusals: not GET 405, HTTP/1.0 400, no Host 400, no Upgrade 426, no Connection: Upgrade 400, version ≠ 13 426, bad key 400", () => {
    const st = (r: ReturnType<typeof checkUpgrade>) => (r.ok ? 101 : r.status);
    expect(st(checkUpgrade(req(good, "POST")))).toBe(405);
    expect(st(checkUpgrade(req(good, "GET", 0)))).toBe(400);
    expect(st(checkUpgrade(req({ ...good, host: undefined })))).toBe(400);
    expect(st(checkUpgrade(req({ ...good, upgrade: undefined })))).toBe(426);
    expect(st(checkUpgrade(req({ ...good, connection: "keep-alive" })))).toBe(400);
    expect(st(checkUpgrade(req({ ...good, "sec-websocket-version": "8" })))).toBe(426);
    expect(st(checkUpgrade(req({ ...good, "sec-websocket-key": "c2hvcnQ=" })))).toBe(400);
    expect(st(checkUpgrade(req({ ...good, "sec-websocket-key": undefined })))).toBe(400);
  });

  test("subprotocol: the server's first supported one that the client offered, else none", () => {
    expect(selectProtocol(["chat", "superchat"], ["superchat", "chat"])).toBe("superchat");
    expect(selectProtocol(["a"], ["b"])).toBeUndefined();
    expect(selectProtocol(["a"], undefined)).toBeUndefined();
  });
});

describe("frame writer", () => {
  test("server frames are unmasked, FIN set, in the shortest length form", () => {
    for (const n of [0, 125, 126, 65535, 65536]) {
      const f = frame(2, new Uint8Array(n));
      expect(f.length).toBe(n + (n < 126 ? 2 : n < 65536 ? 4 : 10));
      const { frames, masked } = parseServerFrames(f);
      expect(masked).toBe(false);
      expect(frames[0]!.fin).toBe(true);
      expect(frames[0]!.payload.length).toBe(n);
    }
  });

  test("a close payload carries the code in network order and a reason cut to 123 bytes at a character boundary", () => {
    expect([...closePayload(1000, "ok")]).toEqual([0x03, 0xe8, 0x6f, 0x6b]);
    expect(closePayload(1005, "x").length).toBe(0);
    const p = closePayload(1000, "é".repeat(100));
    expect(p.length).toBeLessThanOrEqual(125);
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(p.subarray(2))).not.toThrow();
  });
});
