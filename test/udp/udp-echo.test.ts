// UDP data path: the demo echo module over UDP from several client sockets, several packets in one datagram, what
// a module sees as `conn`, async procs, each kind of return value with the listener's counts, and the node:dgram
// backend. close()/drop() (also after an await) are the proc contract's (test/contract/proc-contract.ts, udp).
// Runs the real listener in-process (udp-harness.ts).
import { afterEach, describe, expect, test } from "bun:test";
import echo from "../../modules/echo.ts";
import { defineModule, type Conn } from "../../src/index.ts";
import { kiss, kisses, KISS_SIZE } from "../helpers/kiss.ts";
import { startUdpServer, text, udpClient, type UdpClient, type UdpServer } from "./udp-harness.ts";

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

/** One packet per line; a datagram must end with a newline. */
const lineCheck = (b: Uint8Array, s: number, e: number) => {
  const i = b.indexOf(10, s);
  return i < 0 || i >= e ? 0 : i - s + 1;
};

describe("udp echo", () => {
  test("modules/echo.ts answers 44-byte kiss packets from several client sockets, each to its own sender", async () => {
    server = await startUdpServer(echo);
    expect(server.listener.backend).toBe("bun");
    const cs = await Promise.all(Array.from({ length: 6 }, () => client(server!.port)));
    for (let round = 0; round < 5; round++) for (const [i, c] of cs.entries()) c.send(kiss(i * 100 + round));
    for (const [i, c] of cs.entries()) {
      const got = await c.waitFor(5);
      expect(got.map((d) => d.length)).toEqual(Array(5).fill(KISS_SIZE));
      // UDP does not promise order: compare as sets.
      const want = Array.from({ length: 5 }, (_, r) => text(kiss(i * 100 + r))).sort();
      expect(got.map(text).sort()).toEqual(want);
    }
    expect(server.listener.stats).toMatchObject({ datagrams: 30, packets: 30, replies: 30, bad: 0, errors: 0 });
  });

  test("several packets in one datagram: each packet's reply is its own datagram", async () => {
    server = await startUdpServer(echo);
    const c = await client(server.port);
    c.send(kisses(1, 5));
    const got = await c.waitFor(5);
    expect(got.map(text).sort()).toEqual([1, 2, 3, 4, 5].map((i) => text(kiss(i))).sort());
    expect(server.listener.stats).toMatchObject({ datagrams: 1, packets: 5, replies: 5 });
    expect((await c.settle(30)).length).toBe(5);
  });

  test("conn: protocol udp, the sender's address and port, the local port, the thread; no accept/close hooks", async () => {
    const seen: Array<Pick<Conn, "protocol" | "remoteAddress" | "remotePort" | "localPort" | "thread" | "id"> & { state: unknown }> = [];
    let hooks = 0;
    server = await startUdpServer(
      defineModule({
        name: "who",
        version: "1.0.0",
        grocketd: "^0.1.0",
        accept: () => {
          hooks++;
          return undefined;
        },
        close: () => {
          hooks++;
        },
        proc(p, conn) {
          const { protocol, remoteAddress, remotePort, localPort, thread, id, state } = conn;
          seen.push({ protocol, remoteAddress, remotePort, localPort, thread, id, state });
          return `${remotePort}`;
        },
      }),
    );
    const a = await client(server.port);
    const b = await client(server.port);
    a.send("x");
    b.send("y");
    expect(text((await a.waitFor(1))[0]!)).toBe(String(a.port));
    expect(text((await b.waitFor(1))[0]!)).toBe(String(b.port));
    expect(seen.length).toBe(2);
    for (const s of seen) {
      expect(s).toMatchObject({ protocol: "udp", remoteAddress: "127.0.0.1", localPort: server.port, thread: 0, state: undefined });
    }
    expect(seen.map((s) => s.remotePort).sort()).toEqual([a.port, b.port].sort());
    expect(seen[0]!.id).not.toBe(seen[1]!.id);
    expect(hooks).toBe(0);
  });

  test("async proc: replies arrive, its packet and conn stay intact while later datagrams are handled", async () => {
    server = await startUdpServer(
      defineModule({
        name: "slow",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        async proc(p, conn) {
          const port = conn.remotePort;
          await Bun.sleep(20);
          // The conn still names this datagram's sender, not a later one's.
          return `${text(p).trim()} ${port === conn.remotePort ? "same" : "changed"}\n`;
        },
      }),
    );
    const a = await client(server.port);
    const b = await client(server.port);
    for (let i = 0; i < 10; i++) {
      a.send(`a${i}\n`);
      b.send(`b${i}-1\nb${i}-2\n`);
    }
    const ga = (await a.waitFor(10)).map(text).sort();
    const gb = (await b.waitFor(20)).map(text).sort();
    expect(ga).toEqual(Array.from({ length: 10 }, (_, i) => `a${i} same\n`).sort());
    expect(gb).toEqual(Array.from({ length: 10 }, (_, i) => [`b${i}-1 same\n`, `b${i}-2 same\n`]).flat().sort());
    expect(server.listener.stats).toMatchObject({ packets: 30, replies: 30, errors: 0 });
  });

  test("return values: string and bytes are sent, null/undefined/empty send nothing, a wrong type is an error", async () => {
    server = await startUdpServer(
      defineModule({
        name: "kinds",
        version: "1.0.0",
        grocketd: "^0.1.0",
        check: lineCheck,
        proc(p): never {
          const t = text(p).trim();
          const r: Record<string, unknown> = { s: "str", b: new Uint8Array([98, 121]), n: null, u: undefined, e: "", w: 42, as: Promise.resolve("async") };
          return r[t] as never;
        },
      }),
    );
    const c = await client(server.port);
    c.send("s\nb\nn\nu\ne\nw\nas\n");
    const got = (await c.waitFor(3)).map(text).sort();
    expect(got).toEqual(["async", "by", "str"]);
    expect((await c.settle(30)).length).toBe(3);
    expect(server.listener.stats).toMatchObject({ packets: 7, replies: 3, errors: 1 });
    expect(server.logs.some((l) => l.includes("not a Uint8Array"))).toBe(true);
  });

  test("the node:dgram backend serves the same echo", async () => {
    server = await startUdpServer(echo, {}, { backend: "dgram" });
    expect(server.listener.backend).toBe("dgram");
    const c = await client(server.port);
    c.send(kisses(7, 3));
    c.send(kiss(10));
    expect((await c.waitFor(4)).map(text).sort()).toEqual([7, 8, 9, 10].map((i) => text(kiss(i))).sort());
  });
});
