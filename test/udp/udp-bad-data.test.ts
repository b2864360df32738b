// Bad and oversized datagrams are counted and dropped with a rate-limited log line and never stop the socket; a
// throwing or rejecting proc costs only its own reply. Runs the real listener in-process (udp-harness.ts).
import { afterEach, describe, expect, test } from "bun:test";
import echo from "../../modules/echo.ts";
import { defineModule } from "../../src/index.ts";
import { kiss, kisses } from "../helpers/kiss.ts";
import { startUdpServer, text, udpClient, type UdpClient, type UdpServer } from "./udp-harness.ts";
import { S_BYTES_IN, S_BYTES_OUT, S_ERR_BAD_DATA, S_ERR_HANDLER, S_PACKETS } from "../../src/stats/stat-fields.ts";

let server: UdpServer | undefined;
const clients: UdpClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  server?.stop();
  server = undefined;
});

async function client(port: number): Promise<UdpClient> {
  const c = await udpClient(port);
  clients.push(c);
  return c;
}

const warnings = (s: UdpServer) => s.logs.filter((l) => / warn /.test(l));

describe("udp bad data", () => {
  test("a partial packet is bad data: dropped, counted, logged; earlier whole packets of that datagram are answered", async () => {
    server = await startUdpServer(echo);
    const c = await client(server.port);
    c.send(kiss(1).subarray(0, 30)); // less than one packet
    const twoAndAHalf = new Uint8Array(44 * 2 + 20);
    twoAndAHalf.set(kisses(2, 2), 0);
    c.send(twoAndAHalf);
    c.send(kiss(9)); // still served
    const got = (await c.waitFor(3)).map(text).sort();
    expect(got).toEqual([2, 3, 9].map((i) => text(kiss(i))).sort());
    expect((await c.settle(30)).length).toBe(3);
    expect(server.listener.stats).toMatchObject({ datagrams: 3, packets: 3, bad: 2, replies: 3 });
    // The thread's shared counters (the status listener's /status and /metrics) see UDP as they see TCP.
    const st = server.io.stats;
    expect([st[S_PACKETS], st[S_ERR_BAD_DATA], st[S_BYTES_IN], st[S_BYTES_OUT]]).toEqual([3, 2, 30 + 108 + 44, 3 * 44]);
    expect(warnings(server).filter((l) => l.includes("partial packet")).length).toBe(2);
    expect(warnings(server)[0]).toContain("module=echo");
  });

  test("check returning a negative number or throwing, and an empty datagram: bad, the socket keeps serving", async () => {
    server = await startUdpServer(
      defineModule({
        name: "picky",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check(b, s, e) {
          if (b[s] === 0x21) throw new Error("bang"); // '!'
          if (b[s] === 0x2d) return -1; // '-'
          return e - s;
        },
        proc: (p) => p,
      }),
    );
    const c = await client(server.port);
    c.send("!boom");
    c.send("-neg");
    c.send(new Uint8Array(0));
    c.send("ok");
    expect(text((await c.waitFor(1))[0]!)).toBe("ok");
    expect((await c.settle(30)).length).toBe(1);
    expect(server.listener.stats).toMatchObject({ datagrams: 4, bad: 3, packets: 1, replies: 1 });
    const w = warnings(server).join("\n");
    expect(w).toContain("check threw");
    expect(w).toContain("error=bang");
    expect(w).toContain("check returned -1");
    expect(w).toContain("empty datagram");
  });

  test("a datagram larger than io.max_packet is counted as oversized and dropped", async () => {
    server = await startUdpServer(defineModule({ name: "big", version: "1.0.0", grocketd: "^0.1.0", proc: (p) => p }), { max_packet: 100 });
    const c = await client(server.port);
    c.send(new Uint8Array(101).fill(0x41));
    c.send(new Uint8Array(100).fill(0x42));
    const got = await c.waitFor(1);
    expect(got[0]!.length).toBe(100);
    expect((await c.settle(30)).length).toBe(1);
    expect(server.listener.stats).toMatchObject({ datagrams: 2, oversized: 1, bad: 0, replies: 1 });
    expect(warnings(server).some((l) => l.includes("larger than io.max_packet (100)"))).toBe(true);
  });

  test("a flood of bad datagrams is logged at a bounded rate and all counted", async () => {
    server = await startUdpServer(echo);
    const c = await client(server.port);
    // In bursts of 50: client and server share this thread, and a loopback receive buffer holds a few hundred
    // small datagrams at most before the kernel drops some.
    for (let burst = 0; burst < 6; burst++) {
      for (let i = 0; i < 50; i++) c.send("short");
      await Bun.sleep(5);
    }
    c.send(kiss(1));
    await c.waitFor(1);
    expect(server.listener.stats.bad).toBe(300);
    // io.noisy lets 20 lines a second through.
    expect(warnings(server).length).toBeLessThanOrEqual(21);
  });

  test("a proc that throws drops only that reply; the rest of the datagram and later datagrams are answered", async () => {
    server = await startUdpServer(
      defineModule({
        name: "thrower",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: (_b, s, e) => Math.min(2, e - s),
        proc(p) {
          const t = text(p);
          if (t === "t!") throw new Error("proc failed");
          if (t === "r!") return Promise.reject(new Error("async failed"));
          return t;
        },
      }),
    );
    const c = await client(server.port);
    c.send("aat!bb");
    c.send("t!");
    c.send("r!cc");
    c.send("dd");
    const got = (await c.waitFor(4)).map(text).sort();
    expect(got).toEqual(["aa", "bb", "cc", "dd"]);
    expect((await c.settle(30)).length).toBe(4);
    expect(server.listener.stats).toMatchObject({ packets: 7, errors: 3, replies: 4, bad: 0 });
    expect([server.io.stats[S_PACKETS], server.io.stats[S_ERR_HANDLER], server.io.stats[S_ERR_BAD_DATA]]).toEqual([7, 3, 0]);
    const w = warnings(server).join("\n");
    expect(w).toContain("proc threw; reply dropped");
    expect(w).toContain("error=\"proc failed\"");
    expect(w).toContain("proc rejected; reply dropped");
  });

  test("a reply too large for one UDP datagram is an error for that packet only", async () => {
    server = await startUdpServer(
      defineModule({
        name: "huge",
        version: "1.0.0",
        grocketd: "^0.1.0",
        // 25 000 three-byte characters: 75 000 bytes of UTF-8 in a string of length 25 000.
        proc: (p) => (text(p) === "big" ? new Uint8Array(70_000) : text(p) === "wide" ? "✓".repeat(25_000) : p),
      }),
    );
    const c = await client(server.port);
    c.send("big");
    c.send("wide");
    c.send("small");
    expect(text((await c.waitFor(1))[0]!)).toBe("small");
    expect(server.listener.stats).toMatchObject({ errors: 2, replies: 1 });
  });
});
