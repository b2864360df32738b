// The proc contract, written once and run against every transport and mode (in the shape of hono's
// runTest({ newRouter })): what each of proc's return values becomes (an invalid one: logged, closed), reply order
// under seeded random async delays, close() and drop() (also after an await) and how many times proc is called,
// throwing and rejecting procs, oversized input, and packets split across reads at every offset. Each case names
// the transports it applies to, and says what differs by how a transport carries packets (proc-transports.ts):
// datagrams are answered one reply per datagram in no promised order and are never reassembled; a message or an
// HTTP body ends its last packet; a byte stream is cut only by check.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { outputGrowth, startGrocketd, type Running } from "../helpers/grocketd.ts";
import { parseResponses } from "../helpers/http-messages.ts";
import { withTestCert, type TestCert } from "../helpers/tls-cert.ts";
import { prng } from "../fixtures/length-prefixed.ts";
import { ALL, KIND, binaryRequest, exchange, rawConnection, type Hint, type Kind, type Outcome, type Transport } from "./proc-transports.ts";

export type Mode = "inline" | "pool";
export type { Transport } from "./proc-transports.ts";

const FIXTURE = resolve(import.meta.dir, "../fixtures/modules/proc-contract.ts");
/** io.max_packet, http.max_body_bytes and ws.max_message_bytes of the servers under test. */
const LIMIT = 4096;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** What a case gets: the server's transport and mode, and ways to talk to it. */
interface Ctx {
  transport: Transport;
  kind: Kind;
  mode: Mode;
  port: number;
  /** One exchange of these lines (each ends with "\n"). */
  send(lines: string[], hint?: Hint): Promise<Outcome>;
  sendRaw(data: Uint8Array, hint?: Hint): Promise<Outcome>;
  /** proc calls these lines made (the serving thread's count before and after, less the count queries). */
  callsOf(lines: string[], hint?: Hint): Promise<{ out: Outcome; calls: number }>;
  /** Resolves once the server's output has one more line matching `re` than when it was called (or times out). */
  logs(re: RegExp): { grew(): Promise<void>; added(): number };
  /** The last line of an exchange that ends it on a connection ("close"); nothing on udp and HTTP. */
  end: string[];
}

interface Case {
  name: string;
  on: readonly Transport[];
  run(t: Ctx): Promise<void>;
}

const lines = (ls: string[]) => ls.map((l) => `${l}\n`);
const sorted = (xs: string[]) => [...xs].sort();
const connected = (k: Kind) => k === "stream" || k === "message";

const CASES: Case[] = [
  {
    name: "every return type: a string (UTF-8) and bytes are sent, nothing and null are not, nor a Promise of each, in packet order",
    on: ALL,
    async run(t) {
      const want = lines(["s é✓", "b", "as", "ab", "echo"]);
      const out = await t.send(["string", "nothing", "bytes", "null", "async-string", "async-nothing", "async-bytes", "async-null", "echo", ...t.end], { datagrams: 5 });
      if (t.kind === "datagram") expect(sorted(out.parts)).toEqual(sorted(want)); // one datagram per reply, no order promised
      else if (t.kind === "message") expect(out.parts).toEqual([...want, "bye\n"]); // one message per reply
      else expect(out.replies).toBe(want.join("") + (t.kind === "stream" ? "bye\n" : ""));
      if (t.kind === "http") expect(out.status).toBe(200);
      if (connected(t.kind)) expect(out.closed).toBe(true);
    },
  },
  {
    name: "an invalid return value, sync or a Promise of one: logged with its type, the connection closed (binary over HTTP: 500; UDP: that reply dropped)",
    on: ALL,
    async run(t) {
      for (const bad of ["bad", "async-bad"]) {
        const log = t.logs(bad === "bad" ? /proc returned a number \(42\), not a Uint8Array, a string, nothing or a Promise of one/ : /proc's Promise resolved to an? [^,]*, not a Uint8Array, a string or nothing/);
        const out = await t.send(["echo", bad, "after"], { datagrams: 2 });
        await log.grew();
        if (t.kind === "datagram") expect(sorted(out.parts)).toEqual(lines(["after", "echo"]));
        else if (t.kind === "http") {
          expect(out.status).toBe(500);
          expect(out.replies).not.toContain("echo");
        } else {
          expect(out.replies).toBe("echo\n");
          expect(out.closed).toBe(true);
        }
      }
    },
  },
  {
    name: "many packets with seeded random async delays, two exchanges at once: every reply, in request order (UDP: each its own datagram)",
    on: ALL,
    async run(t) {
      const make = (seed: number) => {
        const rnd = prng(seed); // seeded, so a failing order is reproducible
        return Array.from({ length: 120 }, (_, i) => (rnd() < 0.25 ? `now ${seed}-${i}` : `sleep ${Math.floor(rnd() * 20)} ${seed}-${i}`));
      };
      const inputs = [make(1), make(2)];
      const outs = await Promise.all(inputs.map((ls) => t.send([...ls, ...t.end], { datagrams: ls.length })));
      for (const [k, out] of outs.entries()) {
        const want = lines(inputs[k]!);
        if (t.kind === "datagram") {
          expect(out.parts.length).toBe(want.length);
          expect(sorted(out.parts)).toEqual(sorted(want));
        } else if (t.kind === "message") expect(out.parts).toEqual([...want, "bye\n"]);
        else expect(out.replies).toBe(want.join("") + (t.kind === "stream" ? "bye\n" : ""));
      }
    },
  },
  {
    name: "close(): this reply and the earlier ones are sent, later packets are not processed, the connection closes",
    on: ALL,
    async run(t) {
      const { out, calls } = await t.callsOf(["echo", "close", "after 1", "after 2"], { datagrams: 2, close: true });
      expect(calls).toBe(2);
      if (t.kind === "datagram") expect(sorted(out.parts)).toEqual(lines(["bye", "echo"])); // the rest of the datagram is skipped
      else if (t.kind === "message") expect(out.parts).toEqual(lines(["echo", "bye"]));
      else expect(out.replies).toBe("echo\nbye\n");
      if (t.kind !== "datagram") expect(out.closed).toBe(true);
      if (t.kind === "http") expect(out.status).toBe(200);
    },
  },
  {
    name: "close() after an await: the replies owed and this one are sent, then the connection closes",
    on: ["tcp", "tls", "ws", "wss", "http-binary"],
    async run(t) {
      const out = await t.send(["sleep 30 a", "echo", "await-close 10"], { close: true });
      if (t.kind === "message") expect(out.parts).toEqual(lines(["sleep 30 a", "echo", "bye late"]));
      else expect(out.replies).toBe("sleep 30 a\necho\nbye late\n");
      expect(out.closed).toBe(true);
    },
  },
  {
    name: "drop(): proc is not called again, this reply and later ones are not sent, the connection closes (binary over HTTP: no response)",
    on: ALL,
    async run(t) {
      // The async reply owed before the drop still goes out on a connection; UDP discards it with the rest.
      const { out, calls } = await t.callsOf(["sleep 20 a", "echo", "drop", "after 1", "after 2"], { datagrams: 1 });
      expect(calls).toBe(3);
      expect(out.replies).not.toContain("never sent");
      expect(out.replies).not.toContain("after");
      if (t.kind === "http") expect(out.status).toBe(0);
      else if (t.kind === "datagram") expect(out.parts).toEqual(["echo\n"]);
      else if (t.kind === "message") expect(out.parts).toEqual(lines(["sleep 20 a", "echo"]));
      else expect(out.replies).toBe("sleep 20 a\necho\n");
      if (t.kind !== "datagram") expect(out.closed).toBe(true);
    },
  },
  {
    // What proc returns after its drop() is not looked at: a Promise is not waited for (a handler thread once held
    // the connection open for it, forever when it never settled) and a wrong type is not an error.
    name: "drop() and then a Promise that never settles, or a value that is no reply: the connection closes at once, no failure logged",
    on: ALL,
    async run(t) {
      const bad = /proc returned a number \(42\), not a Uint8Array/;
      const failures = t.logs(bad);
      for (const drop of ["drop-pending", "drop-bad"]) {
        const { out, calls } = await t.callsOf(["echo", drop, "after"], { datagrams: 1 });
        expect(calls).toBe(2);
        if (t.kind === "http") expect(out.status).toBe(0);
        else if (t.kind === "message") expect(out.parts).toEqual(["echo\n"]);
        else expect(out.replies).toBe("echo\n");
        if (t.kind !== "datagram") expect(out.closed).toBe(true);
      }
      // "bad" logs that line once: when it is in the output, so is any line the drops above made (same thread, in order).
      const marker = t.logs(bad);
      await t.send(["bad"], { datagrams: 0 });
      await marker.grew();
      expect(failures.added()).toBe(1);
      expect((await t.send(["still here", ...t.end], { datagrams: 1 })).replies).toStartWith("still here\n");
    },
  },
  {
    name: "drop() after an await: replies owed for earlier packets go out (binary over HTTP: none), then the connection closes",
    on: ["tcp", "tls", "ws", "wss", "http-binary"],
    async run(t) {
      // Returning nothing after a late drop(), as src/module/conn-types.ts asks (inline cannot tell which pending
      // reply is the current one, so only what comes before the dropping packet is the same in both modes).
      const out = await t.send(["sleep 30 a", "echo", "await-drop 20"], { close: true });
      if (t.kind === "http") {
        expect(out.status).toBe(0); // as a drop() before any await: the exchange is dropped unanswered
      } else if (t.kind === "message") expect(out.parts).toEqual(lines(["sleep 30 a", "echo"]));
      else expect(out.replies).toBe("sleep 30 a\necho\n");
      expect(out.closed).toBe(true);
    },
  },
  {
    name: "drop() after an await on UDP: its own reply and the async replies owed to the sender at that time are discarded, the ones already sent stay sent",
    on: ["udp"],
    async run(t) {
      for (const drop of ["await-drop 10", "await-drop-reply 10"]) {
        const out = await t.send(["sleep 40 a", drop, "echo"], { datagrams: 1 });
        expect(out.parts).toEqual(["echo\n"]); // neither the owed "sleep" nor the dropping packet's own reply
      }
      expect((await t.send(["still here"], { datagrams: 1 })).parts).toEqual(["still here\n"]);
    },
  },
  {
    // Binary over HTTP answers with one response body: no push there.
    name: "a push made inside proc before it returns leaves before that proc's reply, after the replies owed before it",
    on: ["tcp", "tls", "ws", "wss"],
    async run(t) {
      const parts = async (ls: string[]) => {
        const out = await t.send(ls);
        return t.kind === "message" ? out.parts : lines(out.replies.split("\n").slice(0, -1));
      };
      expect(await parts(["push-reply", "close"])).toEqual(lines(["pushed", "reply", "bye"]));
      // Behind a pending reply: the push waits for it, then goes ahead of its own proc's reply (sync or async).
      const want = ["sleep 20 a", "pushed", "reply", "early", "late", "echo", "bye"];
      expect(await parts(["sleep 20 a", "push-reply", "push-async", "echo", "close"])).toEqual(lines(want));
    },
  },
  {
    name: "a throwing and a rejecting proc: logged, the connection closed after the replies owed (binary over HTTP: 500; UDP: that reply dropped); other connections are served meanwhile and after",
    on: ALL,
    async run(t) {
      for (const bad of ["throw", "reject"]) {
        // Inline on a connection the line says what happened; elsewhere (and in pool mode, where a throw on the
        // handler thread comes back as a rejection) at least the module and the error are logged.
        const said = t.mode === "inline" && connected(t.kind) ? `proc ${bad === "throw" ? "threw" : "rejected"}; closing connection[^\n]*` : "";
        const log = t.logs(new RegExp(`${said}module=proc-contract[^\n]*error="proc ${bad === "throw" ? "threw" : "rejected"} on purpose"`));
        const other = t.send(["sleep 40 other", "echo other", ...t.end], { datagrams: 2 });
        await Bun.sleep(5);
        const out = await t.send(["now", "sleep 10 first", bad, "after"], { datagrams: 3 });
        await log.grew();
        if (t.kind === "datagram") expect(sorted(out.parts)).toEqual(lines(["after", "now", "sleep 10 first"]));
        else if (t.kind === "http") expect(out.status).toBe(500);
        else {
          expect(out.replies).toBe("now\nsleep 10 first\n"); // the replies owed before it, sync and async
          expect(out.closed).toBe(true);
        }
        const o = await other;
        if (t.kind === "datagram") expect(sorted(o.parts)).toEqual(lines(["echo other", "sleep 40 other"]));
        else expect(o.replies).toStartWith("sleep 40 other\necho other\n");
      }
      expect((await t.send(["still here", ...t.end], { datagrams: 1 })).replies).toStartWith("still here\n");
    },
  },
  {
    name: "oversized input beyond the framing limit: the documented outcome (io.max_packet: close; body: 413; message: 1009; datagram: dropped), and the server serves on",
    on: ALL,
    async run(t) {
      const big = "x".repeat(LIMIT + 100);
      if (t.kind === "stream") {
        // Bytes without a whole packet past the limit, and a whole packet over it: both close after the replies owed.
        for (const tail of [big, `${big}\n`]) {
          const log = t.logs(/io\.max_packet \(4096\)[^\n]*closing connection/);
          const out = await t.sendRaw(enc.encode(`echo\n${tail}`));
          expect(out.replies).toBe("echo\n");
          expect(out.closed).toBe(true);
          await log.grew();
        }
      } else if (t.kind === "http") {
        const out = await t.sendRaw(enc.encode(`${big}\n`), { close: true });
        expect(out.status).toBe(413);
        expect(out.closed).toBe(true);
      } else if (t.kind === "message") {
        const out = await t.sendRaw(enc.encode(`echo\n${big}\n`));
        expect(out.replies).toBe("");
        expect(out.closeCode).toBe(1009);
      } else {
        const datagram = enc.encode(`echo\n${big}\n`);
        const log = t.logs(new RegExp(`datagram of ${datagram.length} bytes is larger than io\\.max_packet \\(4096\\); dropped`));
        const out = await t.sendRaw(datagram, { datagrams: 0 });
        expect(out.parts).toEqual([]);
        await log.grew();
      }
      expect((await t.send(["still here", ...t.end], { datagrams: 1 })).replies).toStartWith("still here\n");
    },
  },
  {
    name: "packets split across two reads at every offset of a multi-packet input are answered as if sent whole (one connection)",
    on: ["tcp", "tls", "http-binary"],
    async run(t) {
      const input = enc.encode("ab\nsleep 2 é\nc\n");
      const want = "ab\nsleep 2 é\nc\n";
      const bytes = t.kind === "http" ? binaryRequest(input) : input;
      const c = await rawConnection(t.transport, t.port);
      try {
        for (let cut = 1; cut < bytes.length; cut++) {
          const had = c.received().length;
          c.write(bytes.subarray(0, cut));
          await Bun.sleep(2); // lets the first part be read on its own
          c.write(bytes.subarray(cut));
          if (t.kind === "http") {
            const deadline = performance.now() + 5000;
            let got: string | undefined;
            while (got === undefined && !c.isClosed() && performance.now() < deadline) {
              got = parseResponses(c.received()).responses[cut - 1]?.text;
              if (got === undefined) await Bun.sleep(2);
            }
            expect({ cut, got }).toEqual({ cut, got: want });
          } else {
            const got = dec.decode((await c.waitBytes(had + enc.encode(want).length)).subarray(had));
            expect({ cut, got }).toEqual({ cut, got: want });
          }
        }
      } finally {
        c.end();
      }
    },
  },
];

/** Runs the proc contract against one transport in one mode (one I/O thread; in pool mode, one handler thread). */
export function runProcContract(opts: { transport: Transport; mode: Mode }): void {
  const { transport, mode } = opts;
  const kind = KIND[transport];
  let running: Running | undefined;
  let cert: TestCert | undefined;
  let skip = "";

  const sendRaw = (data: Uint8Array, hint?: Hint) => exchange(transport, running!.ports[0]!, data, hint);
  const send = (ls: string[], hint?: Hint) => sendRaw(enc.encode(lines(ls).join("")), hint);
  const end = connected(kind) ? ["close"] : [];
  const query = ["count", ...end];
  const count = async () => Number(/count (\d+)/.exec((await send(query, { datagrams: 1 })).replies)![1]);
  const ctx: Ctx = {
    transport,
    kind,
    mode,
    get port() {
      return running!.ports[0]!;
    },
    send,
    sendRaw,
    async callsOf(ls, hint) {
      const before = await count();
      const out = await send(ls, hint);
      return { out, calls: (await count()) - before - query.length };
    },
    logs: (re) => outputGrowth(running!, re),
    end,
  };

  describe(`proc contract: ${transport}, ${mode}`, () => {
    beforeAll(async () => {
      const env: Record<string, string> = {
        GROCKETD_IO_MAX_PACKET: String(LIMIT),
        GROCKETD_HTTP_MAX_BODY_BYTES: String(LIMIT),
        GROCKETD_WS_MAX_MESSAGE_BYTES: String(LIMIT),
        ...(mode === "pool" ? { GROCKETD_WORKER_DISABLED: "false", GROCKETD_WORKER_THREADS: "1" } : {}),
      };
      const url = `${kind === "http" ? "http" : transport}://127.0.0.1:0${kind === "message" ? "/ws" : ""}`;
      if (kind === "http") env.GROCKETD_HTTP_BINARY_PATH = "/binary";
      if (transport === "tls" || transport === "wss") {
        const made = withTestCert(env);
        if ("skip" in made) return void (skip = made.skip);
        cert = made;
      }
      running = await startGrocketd(["--module", FIXTURE, "--listen", url, "--threads", "1"], { env, expectListening: 1 });
    });
    afterAll(async () => {
      await running?.stop("SIGKILL");
      cert?.cleanup();
    });
    for (const c of CASES) {
      if (!c.on.includes(transport)) continue;
      test(c.name, async () => (skip ? console.warn(`skipped: ${skip}`) : c.run(ctx)));
    }
  });
}
