/**
 * @module io/udp/udp-transport
 * Opens the UDP socket of one `udp://` entry in this I/O thread so that every thread binds the same port with
 * SO_REUSEPORT and the kernel spreads datagrams (by source address and port) over the threads.
 *
 * Two ways to get there in Bun 1.4.4 (docs/platform-notes.md, "SO_REUSEPORT"):
 * - `bun`: `Bun.udpSocket` with `flags: LISTEN_REUSE_PORT | LISTEN_DISALLOW_REUSE_PORT_FAILURE` (4 | 32). That
 *   option is not in bun-types, but it is exactly what Bun's own `node:dgram` passes for `reusePort: true`: dgram is a
 *   JS layer over Bun.udpSocket that adds an rinfo object, an EventEmitter emit and an address lookup per datagram,
 *   and has no batched send. Going straight to Bun.udpSocket costs ~30 % less server CPU per echo and lets replies
 *   leave through `sendMany` (sendmmsg).
 * - `dgram`: `node:dgram` `createSocket({ reusePort: true })`, the documented route. Used when asked for, or when a
 *   probe finds that Bun.udpSocket does not honour the flags (a later Bun could rename them): two probe sockets must
 *   both bind one ephemeral port.
 */
import type { Socket as DgramSocket } from "node:dgram";
import type { udp } from "bun";

export type UdpBackend = "bun" | "dgram";

/** A datagram arrived: payload (valid for as long as it is referenced: every datagram has its own memory). */
export type OnDatagram = (d: Uint8Array, port: number, address: string) => void;

/** Reply datagrams as Bun's sendMany takes them: (payload, port, address) triples. */
export type SendList = (Uint8Array | string | number)[];

export interface UdpTransport {
  readonly backend: UdpBackend;
  readonly port: number;
  /** Sends the triples of `list`; returns how many datagrams the kernel took (stops at the first refusal). */
  sendMany(list: SendList): number;
  /** Sends one datagram; false when the kernel refused it. */
  send(data: Uint8Array | string, port: number, address: string): boolean;
  close(): void;
}

/** uSockets listen flags, as Bun's node:dgram uses them. */
const LISTEN_REUSE_PORT = 4;
const LISTEN_DISALLOW_REUSE_PORT_FAILURE = 32;
const REUSE_FLAGS = LISTEN_REUSE_PORT | LISTEN_DISALLOW_REUSE_PORT_FAILURE;

type BunOptions = udp.SocketOptions<"uint8array"> & { flags?: number };
type DataHandler = (s: udp.Socket<"uint8array">, d: Uint8Array, port: number, address: string, flags?: { truncated?: boolean }) => void;

function bunSocket(hostname: string, port: number, data: DataHandler, onError: (err: Error) => void): Promise<udp.Socket<"uint8array">> {
  const opts: BunOptions = {
    hostname,
    port,
    binaryType: "uint8array",
    flags: REUSE_FLAGS,
    socket: { data: data as never, error: (_s, err) => onError(err) },
  };
  return Bun.udpSocket(opts);
}

const probed = new Map<string, Promise<boolean>>();

/**
 * True when Bun.udpSocket sets SO_REUSEPORT from `flags`: a second socket can bind the port of a first one (an
 * ephemeral port, not the served one, so no datagram of a client can land on a probe). Once per thread and host.
 * When even the first bind fails, the answer is true: the real bind then reports the address problem itself.
 */
export function bunHonoursReusePort(hostname: string): Promise<boolean> {
  let p = probed.get(hostname);
  if (p === undefined) {
    p = (async () => {
      const none = () => {};
      let a: udp.Socket<"uint8array"> | undefined;
      let b: udp.Socket<"uint8array"> | undefined;
      try {
        a = await bunSocket(hostname, 0, none, none);
      } catch {
        return true;
      }
      try {
        b = await bunSocket(hostname, a.port, none, none);
        return true;
      } catch {
        return false;
      } finally {
        a.close();
        b?.close();
      }
    })();
    probed.set(hostname, p);
  }
  return p;
}

/** A datagram Bun had to cut short (larger than its receive buffer) arrives with `flags.truncated`. */
export async function openBunTransport(
  hostname: string,
  port: number,
  onDatagram: OnDatagram,
  onTruncated: (port: number, address: string) => void,
  onError: (err: Error) => void,
): Promise<UdpTransport> {
  const sock = await bunSocket(
    hostname,
    port,
    (_s, d, p, a, flags) => {
      if (flags !== undefined && flags.truncated === true) onTruncated(p, a);
      else onDatagram(d, p, a);
    },
    onError,
  );
  return {
    backend: "bun",
    port: sock.port,
    sendMany: (list) => sock.sendMany(list),
    send: (d, p, a) => sock.send(d, p, a),
    close: () => sock.close(),
  };
}

export async function openDgramTransport(
  hostname: string,
  port: number,
  onDatagram: OnDatagram,
  onError: (err: Error) => void,
): Promise<UdpTransport> {
  // Required here, not imported: node:dgram is ~4 ms of every I/O thread's start (bench/startup.ts), UDP or not.
  const { createSocket } = require("node:dgram") as typeof import("node:dgram");
  const sock: DgramSocket = createSocket({ type: hostname.includes(":") ? "udp6" : "udp4", reusePort: true });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, hostname, () => {
      sock.off("error", reject);
      resolve();
    });
  });
  sock.on("error", onError);
  sock.on("message", (m, r) => onDatagram(m, r.port, r.address));
  let closed = false;
  return {
    backend: "dgram",
    port: sock.address().port,
    // node:dgram has no batched send: one send per reply. Its errors arrive on the "error" event.
    sendMany(list) {
      if (closed) return 0;
      let n = 0;
      for (let i = 0; i < list.length; i += 3) {
        sock.send(list[i] as Uint8Array | string, list[i + 1] as number, list[i + 2] as string);
        n++;
      }
      return n;
    },
    send(d, p, a) {
      if (closed) return false;
      sock.send(d, p, a);
      return true;
    },
    close() {
      if (closed) return;
      closed = true;
      sock.close();
    },
  };
}
