// One client socket of the UDP benchmark: keeps `window` kiss datagrams outstanding, checks every echo byte for
// byte, and counts a datagram whose echo has not come back within `timeoutMs` as lost (then sends the next one in
// its place, so the window stays full). Ids are laid out so that `id % window` is the slot: no map per datagram.

import type { udp } from "bun";
import { LatencyHistogram } from "./latency-histogram.ts";
import { describeBytes } from "./kiss-packet.ts";
import { parseKiss, writeKissId } from "./udp-kiss-packet.ts";

export interface UdpSocketOptions {
  host: string;
  port: number;
  window: number;
  size: number;
  timeoutMs: number;
  /** Tells apart the sockets of one run in failure notes. */
  index: number;
}

export interface UdpSocketCounters {
  sent: number;
  received: number;
  lost: number;
  /** Echoes that came back after their datagram had been counted lost (or twice). */
  late: number;
  mismatches: number;
  /** Sends the kernel refused (retried on the next tick; not counted as sent until they go out). */
  sendRefused: number;
  errors: number;
}

export class UdpKissSocket implements UdpSocketCounters {
  sent = 0;
  received = 0;
  lost = 0;
  late = 0;
  mismatches = 0;
  sendRefused = 0;
  errors = 0;
  readonly hist = new LatencyHistogram();
  readonly failures: string[] = [];

  private sock: udp.ConnectedSocket<"uint8array"> | null = null;
  private readonly ids: Float64Array;
  private readonly sentAt: Float64Array;
  /** 1 = waiting for the echo, 2 = the send was refused and must be retried, 0 = idle. */
  private readonly live: Uint8Array;
  private readonly digits: Uint8Array;
  private readonly bufs: Uint8Array[];
  private outstanding = 0;
  /** Slots whose next datagram waits for the end of this event-loop turn, to leave in one sendMany. */
  private readonly batch: Uint8Array[] = [];
  private readonly batchSlots: number[] = [];
  private scheduled = false;
  private readonly flushNow = () => this.flush();
  private stopping = false;
  private onIdle: (() => void) | null = null;

  constructor(readonly opts: UdpSocketOptions) {
    const w = opts.window;
    this.ids = new Float64Array(w);
    this.sentAt = new Float64Array(w);
    this.live = new Uint8Array(w);
    this.digits = new Uint8Array(w);
    this.bufs = Array.from({ length: w }, () => new Uint8Array(opts.size).fill(0x41));
  }

  async open(): Promise<void> {
    this.sock = await Bun.udpSocket({
      binaryType: "uint8array",
      connect: { hostname: this.opts.host, port: this.opts.port },
      socket: {
        data: (_s, d) => this.onData(d),
        drain: () => this.retryRefused(),
        error: (_s, err) => {
          this.errors++;
          this.note(`socket error: ${err.message}`);
        },
      },
    });
  }

  /** Fills the window. */
  start(): void {
    for (let s = 0; s < this.opts.window; s++) this.issue(s, s);
  }

  private note(msg: string): void {
    if (this.failures.length < 10) this.failures.push(`socket ${this.opts.index}: ${msg}`);
  }

  private issue(slot: number, id: number): void {
    const buf = this.bufs[slot]!;
    this.digits[slot] = writeKissId(buf, id, this.digits[slot]!);
    this.ids[slot] = id;
    this.outstanding += this.live[slot] === 0 ? 1 : 0;
    this.sentAt[slot] = performance.now();
    // Waiting for the echo from now on; a refused send turns it back to 2 in flush().
    this.live[slot] = 1;
    this.batch.push(buf);
    this.batchSlots.push(slot);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /** Sends the datagrams queued this turn in one sendMany (sendmmsg): a cheaper client leaves the server the bottleneck. */
  private flush(): void {
    this.scheduled = false;
    const n = this.batch.length;
    if (n === 0 || this.sock === null) return;
    let sent = 0;
    try {
      sent = this.sock.sendMany(this.batch);
    } catch {
      sent = 0;
    }
    this.sent += sent;
    for (let i = sent; i < n; i++) {
      this.live[this.batchSlots[i]!] = 2;
      this.sendRefused++;
    }
    this.batch.length = 0;
    this.batchSlots.length = 0;
  }

  private retire(slot: number): void {
    this.live[slot] = 0;
    if (--this.outstanding === 0 && this.onIdle) this.onIdle();
  }

  private onData(d: Uint8Array): void {
    const w = this.opts.window;
    const id = parseKiss(d, this.opts.size);
    if (id < 0) {
      this.mismatches++;
      this.note(`malformed echo (${d.length} bytes): ${describeBytes(d, 0, Math.min(d.length, 40))}`);
      return;
    }
    const slot = id % w;
    const want = this.ids[slot]!;
    if (id !== want || this.live[slot] !== 1) {
      if (id <= want) this.late++;
      else {
        this.mismatches++;
        this.note(`echo of id ${id} that was never sent (slot ${slot} waits for ${want})`);
      }
      return;
    }
    this.received++;
    this.hist.record((performance.now() - this.sentAt[slot]!) * 1000);
    if (this.stopping) this.retire(slot);
    else this.issue(slot, id + w);
  }

  private retryRefused(): void {
    for (let s = 0; s < this.opts.window; s++) {
      if (this.live[s] !== 2) continue;
      if (this.stopping) this.retire(s);
      else this.issue(s, this.ids[s]!);
    }
  }

  /** Timer: a datagram without an echo after timeoutMs is lost; its slot sends the next id. */
  tick(now: number): void {
    const { window: w, timeoutMs } = this.opts;
    for (let s = 0; s < w; s++) {
      const st = this.live[s];
      if (st === 1 && now - this.sentAt[s]! > timeoutMs) {
        this.lost++;
        if (this.stopping) this.retire(s);
        else this.issue(s, this.ids[s]! + w);
      } else if (st === 2) {
        if (this.stopping) this.retire(s);
        else this.issue(s, this.ids[s]!);
      }
    }
  }

  /** Stops sending; resolves once every outstanding datagram was echoed or counted lost (ticks must go on). */
  finish(): Promise<void> {
    this.stopping = true;
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((res) => {
      this.onIdle = res;
    });
  }

  close(): void {
    this.sock?.close();
    this.sock = null;
  }
}
