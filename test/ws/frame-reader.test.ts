// The WebSocket read side on its own (src/ws/ws-frame-reader.ts), one case per rule of RFC 6455 §5–§7, in the
// shape of the Autobahn suite's sections 1–7: framing, ping/pong, reserved bits, opcodes, fragmentation, UTF-8,
// close handling; and every frame fed split at every offset.
import { describe, expect, test } from "bun:test";
import { WsFrameReader, type WsSink, validCloseCode } from "../../src/ws/ws-frame-reader.ts";
import { Utf8Validator } from "../../src/ws/utf8-validator.ts";
import { clientFrame, closeBody } from "../helpers/ws-frames.ts";

type Ev = [string, ...unknown[]];
const dec = new TextDecoder();

function sink(events: Ev[]): WsSink {
  return {
    message: (b, o, n, bin) => void events.push(["message", bin ? "binary" : "text", bin ? [...b.subarray(o, o + n)] : dec.decode(b.subarray(o, o + n))]),
    control: (op, b, o, n) => void events.push(["control", op, dec.decode(b.subarray(o, o + n))]),
    peerClose: (code, b, o, n) => void events.push(["closed", code, dec.decode(b.subarray(o, o + n))]),
    error: (code, why) => void events.push(["error", code, why]),
  };
}

/**
 * Feeds the bytes in pieces as a connection would: what consume leaves is kept and prefixed to the next piece. Done
 * twice, unmasking a byte at a time and a word at a time (with a word view of each buffer, as ws-connection.ts
 * gives the reader): both must report the same.
 */
function feed(bytes: Uint8Array, cuts: number[] = [], max = 1 << 20): Ev[] {
  const byBytes = feedWith(bytes, cuts, max, false);
  const byWords = feedWith(bytes, cuts, max, true);
  expect(byWords).toEqual(byBytes);
  return byWords;
}

function feedWith(bytes: Uint8Array, cuts: number[], max: number, words: boolean): Ev[] {
  const events: Ev[] = [];
  const r = new WsFrameReader(max);
  const s = sink(events);
  let pend = new Uint8Array(0);
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    const buf = new Uint8Array(pend.length + cut - prev);
    buf.set(pend, 0);
    buf.set(bytes.subarray(prev, cut), pend.length);
    prev = cut;
    const at = r.consume(buf, 0, buf.length, s, words ? new Int32Array(buf.buffer, 0, buf.length >>> 2) : null);
    if (at < 0) break;
    pend = buf.slice(at);
  }
  return events;
}

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};

describe("framing (Autobahn 1.x)", () => {
  test("text and binary messages of 0, 125, 126, 65535 and 65536 bytes (all three length forms) arrive whole", () => {
    for (const n of [0, 125, 126, 65535, 65536]) {
      const text = "x".repeat(n);
      expect(feed(clientFrame(1, text))).toEqual([["message", "text", text]]);
      const bin = new Uint8Array(n).map((_, i) => i & 0xff);
      const ev = feed(clientFrame(2, bin));
      expect(ev.length).toBe(1);
      expect(ev[0]![2]).toEqual([...bin]);
    }
  });

  test("a non-minimal length form (a 5-byte payload in the 64-bit form) is accepted", () => {
    expect(feed(clientFrame(1, "hello", { lenForm: 64 }))).toEqual([["message", "text", "hello"]]);
  });

  test("split reads at every offset of a frame (7-, 16- and 64-bit headers, masking key, payload) give the same message", () => {
    for (const n of [5, 300, 70000]) {
      const f = clientFrame(2, new Uint8Array(n).fill(7));
      const limit = Math.min(f.length - 1, 20);
      for (let cut = 1; cut <= limit; cut++) {
        const ev = feed(f, [cut]);
        expect(ev.length).toBe(1);
        expect((ev[0]![2] as number[]).length).toBe(n);
      }
    }
    const two = cat(clientFrame(1, "ab"), clientFrame(1, "cd"));
    for (let cut = 1; cut < two.length; cut++) expect(feed(two, [cut])).toEqual([["message", "text", "ab"], ["message", "text", "cd"]]);
    // One byte per read.
    const f = clientFrame(1, "byte by byte", { lenForm: 64 });
    expect(feed(f, [...Array(f.length - 1).keys()].map((i) => i + 1))).toEqual([["message", "text", "byte by byte"]]);
  });

  test("many frames in one read are all reported, in order", () => {
    const parts = Array.from({ length: 50 }, (_, i) => clientFrame(1, `m${i}`));
    expect(feed(cat(...parts)).map((e) => e[2])).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  test("each one-frame message and ping lies after the previous with a server header's room before it, free to overwrite", () => {
    // The sink frames echoes in that room (ws-connection.ts): scribbling over it must not change anything reported later.
    const texts = ["a", "é ünïcode", "x".repeat(200), "", "y".repeat(70000), "z"];
    const bytes = cat(...texts.map((t) => clientFrame(1, t)), clientFrame(9, "ping?"), clientFrame(2, new Uint8Array([1, 2, 3])), clientFrame(1, "frag-", { fin: false }), clientFrame(0, "ment"));
    const got: unknown[] = [];
    let prevEnd = 0;
    const room = (b: Uint8Array, o: number, n: number) => {
      const h = n < 126 ? 2 : n < 65536 ? 4 : 10;
      expect(o - h).toBeGreaterThanOrEqual(prevEnd);
      b.fill(0xee, o - h, o);
      prevEnd = o + n;
    };
    const r = new WsFrameReader(1 << 20);
    const end = r.consume(bytes, 0, bytes.length, {
      message: (b, o, n, bin, hasRoom) => {
        if (hasRoom) room(b, o, n);
        got.push([hasRoom, bin ? [...b.subarray(o, o + n)] : dec.decode(b.subarray(o, o + n))]);
      },
      control: (op, b, o, n) => {
        room(b, o, n);
        got.push([op, dec.decode(b.subarray(o, o + n))]);
      },
      peerClose: () => {},
      error: (code, why) => void got.push(["error", code, why]),
    });
    expect(end).toBe(bytes.length);
    expect(got).toEqual([...texts.map((t) => [true, t]), [9, "ping?"], [true, [1, 2, 3]], [false, "frag-ment"]]);
  });

  test("an unmasked client frame → 1002", () => {
    expect(feed(clientFrame(1, "hi", { mask: false }))[0]!.slice(0, 2)).toEqual(["error", 1002]);
  });

  test("a 64-bit length with its most significant bit set → 1002", () => {
    const f = clientFrame(2, "", { lenForm: 64 });
    f[2] = 0x80;
    expect(feed(f)[0]!.slice(0, 2)).toEqual(["error", 1002]);
  });
});

describe("unmasking in place (§5.3), a byte and a word at a time", () => {
  /** Deterministic bytes (xorshift), so a failure names its case. */
  function noise(n: number, seed: number): Uint8Array {
    const out = new Uint8Array(n);
    let x = seed | 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  }
  const keys = [[0x37, 0xfa, 0x21, 0x3d], [0, 0, 0, 0], [0xff, 0x01, 0x80, 0x7f]];

  /** The messages consume reports for `frames` placed at buf[start..), word view or not. */
  function messages(frames: Uint8Array, start: number, words: boolean): number[][] {
    const buf = new Uint8Array(start + frames.length).fill(0xaa);
    buf.set(frames, start);
    const got: number[][] = [];
    const r = new WsFrameReader(1 << 20);
    const end = r.consume(buf, start, buf.length, {
      message: (b, o, n) => void got.push([...b.subarray(o, o + n)]),
      control: () => {},
      peerClose: () => {},
      error: (code, why) => void got.push([code, ...new TextEncoder().encode(why)]),
    }, words ? new Int32Array(buf.buffer, 0, buf.length >>> 2) : null);
    // All consumed, or -1 right after the error reported last.
    expect(end === buf.length || (end === -1 && got.length > 0 && got.at(-1)![0] === 1007)).toBe(true);
    return got;
  }

  test("every start offset 0..7 and payload length 0..130, three keys, one and two frames per read: the payload as sent", () => {
    for (let start = 0; start < 8; start++) {
      for (let n = 0; n <= 130; n++) {
        for (const key of keys) {
          const a = noise(n, n * 31 + start + 1);
          const b = noise(n + 3, n * 17 + start + 2);
          const one = clientFrame(2, a, { key });
          const two = cat(one, clientFrame(2, b, { key: key.toReversed() }));
          for (const words of [false, true]) {
            expect(messages(one, start, words)).toEqual([[...a]]);
            expect(messages(two, start, words)).toEqual([[...a], [...b]]);
          }
        }
      }
    }
  });

  test("payloads of 65535..65539 and 70001 bytes (16- and 64-bit lengths) at every start offset 0..7", () => {
    for (let start = 0; start < 8; start++) {
      for (const n of [65535, 65536, 65537, 65538, 65539, 70001]) {
        const a = noise(n, n + start);
        const f = clientFrame(2, a, { key: keys[2] });
        for (const words of [false, true]) {
          const got = messages(f, start, words);
          expect(got.length).toBe(1);
          expect(Buffer.from(got[0]!).equals(Buffer.from(a))).toBe(true);
        }
      }
    }
  });

  test("a longer length form than needed (the payload is then not a word multiple from its source) still unmasks right", () => {
    for (let start = 0; start < 8; start++) {
      for (const n of [0, 1, 5, 16, 17, 64, 125]) {
        const a = noise(n, n + 7);
        const f = cat(clientFrame(2, a, { lenForm: 16 }), clientFrame(2, a, { lenForm: 64 }), clientFrame(2, a));
        for (const words of [false, true]) expect(messages(f, start, words)).toEqual([[...a], [...a], [...a]]);
      }
    }
  });

  test("ASCII fast path: a text message with one non-ASCII byte at any position is still checked (1007 when invalid)", () => {
    for (let start = 0; start < 4; start++) {
      for (let n = 1; n <= 130; n++) {
        for (let p = 0; p < n; p++) {
          const bad = new Uint8Array(n).fill(0x61);
          bad[p] = 0x80; // a lone continuation byte
          for (const words of [false, true]) {
            const got = messages(clientFrame(1, bad), start, words);
            expect(got.length).toBe(1);
            expect(got[0]![0]).toBe(1007);
          }
          if (p + 1 < n) {
            const good = new Uint8Array(n).fill(0x61);
            good[p] = 0xc3; // "é": a valid two-byte sequence
            good[p + 1] = 0xa9;
            for (const words of [false, true]) expect(messages(clientFrame(1, good), start, words)).toEqual([[...good]]);
          }
        }
      }
    }
  });
});

describe("ping and pong (Autobahn 2.x)", () => {
  test("a ping is reported with its payload (0 and 125 bytes); a pong too", () => {
    expect(feed(clientFrame(9, ""))).toEqual([["control", 9, ""]]);
    expect(feed(clientFrame(9, "p".repeat(125)))).toEqual([["control", 9, "p".repeat(125)]]);
    expect(feed(clientFrame(10, "unsolicited"))).toEqual([["control", 10, "unsolicited"]]);
  });

  test("a ping of 126 bytes → 1002", () => {
    expect(feed(clientFrame(9, "p".repeat(126)))[0]!.slice(0, 2)).toEqual(["error", 1002]);
  });

  test("a fragmented ping (FIN clear) → 1002", () => {
    expect(feed(clientFrame(9, "x", { fin: false }))[0]!.slice(0, 2)).toEqual(["error", 1002]);
  });
});

describe("reserved bits (Autobahn 3.x)", () => {
  test("each of RSV1, RSV2, RSV3 set, on data and control frames → 1002, after the frames before it", () => {
    for (const rsv of [1, 2, 4, 7]) {
      const ev = feed(cat(clientFrame(1, "ok"), clientFrame(1, "bad", { rsv })));
      expect(ev[0]).toEqual(["message", "text", "ok"]);
      expect(ev[1]!.slice(0, 2)).toEqual(["error", 1002]);
      expect(feed(clientFrame(9, "", { rsv }))[0]!.slice(0, 2)).toEqual(["error", 1002]);
    }
  });
});

describe("opcodes (Autobahn 4.x)", () => {
  test("reserved non-control opcodes 3–7 and control opcodes 11–15 → 1002", () => {
    for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) expect(feed(clientFrame(op, "x"))[0]!.slice(0, 2)).toEqual(["error", 1002]);
  });
});

describe("fragmentation (Autobahn 5.x)", () => {
  test("a message in three fragments is reassembled", () => {
    const f = cat(clientFrame(1, "Hel", { fin: false }), clientFrame(0, "lo ", { fin: false }), clientFrame(0, "world"));
    expect(feed(f)).toEqual([["message", "text", "Hello world"]]);
    for (let cut = 1; cut < f.length; cut++) expect(feed(f, [cut])).toEqual([["message", "text", "Hello world"]]);
  });

  test("a ping in the middle of a fragmented message is answered there, the message still arrives whole", () => {
    const f = cat(clientFrame(2, "ab", { fin: false }), clientFrame(9, "mid"), clientFrame(0, "cd"));
    expect(feed(f)).toEqual([["control", 9, "mid"], ["message", "binary", [97, 98, 99, 100]]]);
  });

  test("a continuation frame with nothing to continue → 1002", () => {
    expect(feed(clientFrame(0, "x"))[0]!.slice(0, 2)).toEqual(["error", 1002]);
  });

  test("a new text frame before the fragmented message ended → 1002", () => {
    expect(feed(cat(clientFrame(1, "a", { fin: false }), clientFrame(1, "b")))[0]!.slice(0, 2)).toEqual(["error", 1002]);
  });

  test("ws.max_message_bytes: a frame over it → 1009 as soon as its header arrived; fragments over it → 1009", () => {
    const big = clientFrame(2, new Uint8Array(101));
    expect(feed(big.subarray(0, 2), [], 100)[0]!.slice(0, 2)).toEqual(["error", 1009]); // header only, no payload yet
    expect(feed(clientFrame(2, new Uint8Array(100)), [], 100).length).toBe(1);
    const frags = cat(clientFrame(2, new Uint8Array(60), { fin: false }), clientFrame(0, new Uint8Array(41)));
    expect(feed(frags, [], 100)[0]!.slice(0, 2)).toEqual(["error", 1009]);
  });
});

describe("UTF-8 (Autobahn 6.x)", () => {
  test("valid text of 1-, 2-, 3- and 4-byte characters passes, split at every byte across fragments", () => {
    const s = "aé€😀κόσμε";
    const b = new TextEncoder().encode(s);
    for (let cut = 1; cut < b.length; cut++) {
      const f = cat(clientFrame(1, b.subarray(0, cut), { fin: false }), clientFrame(0, b.subarray(cut)));
      expect(feed(f)).toEqual([["message", "text", s]]);
    }
  });

  test("invalid sequences → 1007: lone continuation, overlong, surrogate, past U+10FFFF, truncated, 0xFE/0xFF", () => {
    for (const bad of [[0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xce], [0xfe], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      expect(feed(clientFrame(1, new Uint8Array([0x41, ...bad])))[0]!.slice(0, 2)).toEqual(["error", 1007]);
    }
  });

  test("invalid UTF-8 in a fragment fails at that fragment, before the message ends", () => {
    const ev = feed(cat(clientFrame(1, new Uint8Array([0xce, 0xba]), { fin: false }), clientFrame(0, new Uint8Array([0xff]), { fin: false })));
    expect(ev[0]!.slice(0, 2)).toEqual(["error", 1007]);
  });

  test("a text message that ends inside a code point (split across fragments) → 1007", () => {
    const ev = feed(cat(clientFrame(1, new Uint8Array([0x41]), { fin: false }), clientFrame(0, new Uint8Array([0xe2, 0x82]))));
    expect(ev[0]!.slice(0, 2)).toEqual(["error", 1007]);
  });

  test("binary messages are not UTF-8 checked", () => {
    expect(feed(clientFrame(2, new Uint8Array([0xff, 0xfe])))[0]).toEqual(["message", "binary", [0xff, 0xfe]]);
  });

  test("the incremental validator agrees with TextDecoder on every 1- and 2-byte sequence", () => {
    const strict = new TextDecoder("utf-8", { fatal: true });
    const v = new Utf8Validator();
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const bytes = new Uint8Array([a, b]);
        let ok = true;
        try { strict.decode(bytes); } catch { ok = false; }
        v.reset();
        const mine = v.update(bytes, 0, 1) && v.update(bytes, 1, 2) && v.complete;
        if (mine !== ok) throw new Error(`disagree on ${a.toString(16)} ${b.toString(16)}`);
      }
    }
  });
});

describe("close handling (Autobahn 7.x)", () => {
  test("a close with a code and reason is reported with both; without a body as 1005; parsing stops there", () => {
    expect(feed(cat(clientFrame(8, closeBody(1000, "bye")), clientFrame(1, "after")))).toEqual([["closed", 1000, "bye"]]);
    expect(feed(clientFrame(8, ""))).toEqual([["closed", 1005, ""]]);
  });

  test("a close body of one byte → 1002", () => {
    expect(feed(clientFrame(8, new Uint8Array([3])))[0]!.slice(0, 2)).toEqual(["error", 1002]);
  });

  test("valid codes pass; invalid ones (0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000) → 1002", () => {
    for (const c of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]) {
      expect(validCloseCode(c)).toBe(true);
      expect(feed(clientFrame(8, closeBody(c)))).toEqual([["closed", c, ""]]);
    }
    for (const c of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
      expect(feed(clientFrame(8, closeBody(c)))[0]!.slice(0, 2)).toEqual(["error", 1002]);
    }
  });

  test("a close reason that is not UTF-8 → 1007", () => {
    const body = cat(closeBody(1000), new Uint8Array([0xff]));
    expect(feed(clientFrame(8, body))[0]!.slice(0, 2)).toEqual(["error", 1007]);
  });

  test("a close in the middle of a fragmented message is reported (control frames may be interleaved)", () => {
    expect(feed(cat(clientFrame(1, "a", { fin: false }), clientFrame(8, closeBody(1000))))).toEqual([["closed", 1000, ""]]);
  });
});
