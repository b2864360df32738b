// The transports of the proc contract suite (proc-contract.ts): each turns some input bytes into one exchange with
// the server — a connection for tcp/tls, one text message for ws/wss, one POST to the binary path for binary over
// HTTP, one datagram for udp — and reports what came back and how it ended.
import { connect, type TestClient } from "../helpers/tcp-client.ts";
import { parseResponses } from "../helpers/http-messages.ts";

export type Transport = "tcp" | "tls" | "udp" | "http-binary" | "ws" | "wss";
/** How a transport carries packets: a byte stream, messages, datagrams, or one HTTP body per exchange. */
export type Kind = "stream" | "message" | "datagram" | "http";
export const KIND: Record<Transport, Kind> = { tcp: "stream", tls: "stream", udp: "datagram", "http-binary": "http", ws: "message", wss: "message" };
export const ALL: readonly Transport[] = ["tcp", "tls", "udp", "http-binary", "ws", "wss"];
export const BINARY_PATH = "/binary";

/** What one exchange gave back. */
export interface Outcome {
  /** The reply bytes as text, in arrival order (the response body for HTTP). */
  replies: string;
  /** ws: one entry per message; udp: one per datagram; otherwise the replies as one entry. */
  parts: string[];
  /** HTTP only: the response status, or 0 when the connection closed without a response. */
  status: number;
  /** The server closed the connection (never for udp). */
  closed: boolean;
  /** ws only: the close code the server sent (0 when none). */
  closeCode: number;
}

/** `datagrams`: udp, how many replies to wait for before a short settle; `close`: http, wait for the server to close. */
export interface Hint {
  datagrams?: number;
  close?: boolean;
}

const dec = new TextDecoder();
const WAIT_MS = 5000;

const raceClose = (closed: Promise<unknown>, ms: number) => Promise.race([closed.then(() => true), Bun.sleep(ms).then(() => false)]);

async function streamExchange(port: number, data: Uint8Array, tls: boolean): Promise<Outcome> {
  const c = await connect(port, "127.0.0.1", { tls });
  c.write(data);
  const ended = await raceClose(c.closed, WAIT_MS);
  c.end();
  const replies = dec.decode(c.received());
  return { replies, parts: [replies], status: 0, closed: ended, closeCode: 0 };
}

async function wsExchange(port: number, data: Uint8Array, tls: boolean): Promise<Outcome> {
  const opts = tls ? ({ tls: { rejectUnauthorized: false } } as unknown as string[]) : undefined;
  const ws = new WebSocket(`${tls ? "wss" : "ws"}://127.0.0.1:${port}/ws`, opts);
  ws.binaryType = "arraybuffer";
  const parts: string[] = [];
  let closeCode = 0;
  const closed = Promise.withResolvers<void>();
  ws.onopen = () => ws.send(dec.decode(data));
  ws.onmessage = (e) => void parts.push(typeof e.data === "string" ? e.data : dec.decode(e.data as ArrayBuffer));
  ws.onclose = (e) => {
    closeCode = e.code;
    closed.resolve();
  };
  ws.onerror = () => closed.resolve();
  const ended = await raceClose(closed.promise, WAIT_MS);
  ws.close();
  return { replies: parts.join(""), parts, status: 0, closed: ended, closeCode };
}

async function udpExchange(port: number, data: Uint8Array, hint: Hint): Promise<Outcome> {
  const parts: string[] = [];
  const sock = await Bun.udpSocket({ hostname: "127.0.0.1", socket: { data: (_s, d) => void parts.push(dec.decode(d)) } });
  try {
    sock.send(data, port, "127.0.0.1");
    const want = hint.datagrams;
    const end = performance.now() + WAIT_MS;
    if (want !== undefined) while (parts.length < want && performance.now() < end) await Bun.sleep(2);
    // A settle after the expected replies (so extra ones are seen), or a longer one when nothing is expected.
    await Bun.sleep(want === undefined || want === 0 ? 250 : 40);
  } finally {
    sock.close();
  }
  return { replies: parts.join(""), parts, status: 0, closed: false, closeCode: 0 };
}

export function binaryRequest(body: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`POST ${BINARY_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
  return Buffer.concat([head, body]);
}

async function httpExchange(port: number, data: Uint8Array, tls: boolean, hint: Hint): Promise<Outcome> {
  const c = await connect(port, "127.0.0.1", { tls });
  c.write(binaryRequest(data));
  const end = performance.now() + WAIT_MS;
  try {
    for (;;) {
      const { responses } = parseResponses(c.received());
      const r = responses[0];
      if (r !== undefined) {
        const ended = c.isClosed() || (hint.close === true && (await raceClose(c.closed, 3000)));
        return { replies: r.text, parts: [r.text], status: r.status, closed: ended, closeCode: 0 };
      }
      if (c.isClosed() || performance.now() > end) {
        const replies = dec.decode(c.received());
        return { replies, parts: [replies], status: 0, closed: c.isClosed(), closeCode: 0 };
      }
      await Promise.race([c.closed, Bun.sleep(5)]);
    }
  } finally {
    c.end();
  }
}

export function exchange(transport: Transport, port: number, data: Uint8Array, hint: Hint = {}): Promise<Outcome> {
  switch (transport) {
    case "tcp":
    case "tls":
      return streamExchange(port, data, transport === "tls");
    case "ws":
    case "wss":
      return wsExchange(port, data, transport === "wss");
    case "udp":
      return udpExchange(port, data, hint);
    case "http-binary":
      return httpExchange(port, data, false, hint);
  }
}

/** A raw connection for the split-read cases (stream transports and binary over HTTP). */
export function rawConnection(transport: Transport, port: number): Promise<TestClient> {
  return connect(port, "127.0.0.1", { tls: transport === "tls" });
}
