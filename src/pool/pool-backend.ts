/**
 * @module pool/pool-backend
 * The pool backend (`worker.disabled = false`): the module's hooks run on handler threads (handler-thread.ts), and
 * this I/O thread's side turns what a transport asks (io/backend.ts) into ring records (pool-protocol.ts): OPEN when
 * a connection is accepted (accept runs next to the state it creates; a refusal comes back as REJECT), PACKET and
 * DRAINING with a slot reserved in the connection's reply line, CLOSE once. Each connection's pool state is its
 * PoolSession (pool-session.ts); the lanes to the handler threads are the PoolClient's (pool-client.ts), which the
 * thread wiring tells when a handler thread is replaced, lost, recycled or retired. UDP is one more async `proc`
 * (udp-pool-bridge.ts).
 */
import type { Backend, BackendConn, DatagramProc, ModuleBackend, PacketConn } from "../io/backend.ts";
import type { IoContext } from "../io/io-context.ts";
import type { RingPair } from "../io/messages.ts";
import type { Logger } from "../log/logger.ts";
import type { ModuleDefinition } from "../module/types.ts";
import type { PubSubHub } from "../pubsub/hub.ts";
import { PoolClient } from "./pool-client.ts";
import { K_CLOSE, K_DRAINING, K_OPEN, K_PACKET, K_WS_OPEN, connInfoSize, writeConnInfo, type ConnInfo } from "./pool-protocol.ts";
import { PoolSession } from "./pool-session.ts";
import { udpPoolProc } from "./udp-pool-bridge.ts";

export class PoolBackend implements Backend {
  readonly client: PoolClient;

  constructor(
    private readonly io: IoContext,
    pairs: readonly RingPair[],
    log: Logger,
  ) {
    this.client = new PoolClient(pairs, log, io.stats);
  }

  /** Handler threads' pushes, subscriptions, publishes and sends go to this thread's hub (pubsub-records.ts). */
  servePubsub(hub: PubSubHub, stats: () => Float64Array): void {
    this.client.servePubsub(hub, stats);
  }

  forModule(def: ModuleDefinition<unknown>, moduleIndex: number): ModuleBackend {
    return new PoolModule(this.io, this.client, def, moduleIndex);
  }

  queued(): { toHandlers: number; fromHandlers: number } {
    return this.client.queued();
  }

  stop(): Promise<void> {
    return this.client.stop();
  }
}

class PoolModule implements ModuleBackend {
  readonly inline = false;

  constructor(
    private readonly io: IoContext,
    private readonly pool: PoolClient,
    private readonly def: ModuleDefinition<unknown>,
    private readonly moduleIndex: number,
  ) {}

  open(c: BackendConn): boolean {
    const s = new PoolSession(c);
    const link = this.pool.attach(s);
    if (link === null) {
      this.io.noisy.warn("no handler thread is alive (all are restarting); connection refused", { module: this.def.name });
      return false;
    }
    s.link = link;
    c.session = s;
    const info: ConnInfo = {
      module: this.moduleIndex, id: c.id, protocol: c.protocol, remoteAddress: c.remoteAddress, remotePort: c.remotePort, localPort: c.localPort, thread: c.thread,
    };
    link.sendEncoded(K_OPEN, s.poolNo, 0, 0, connInfoSize(info), (w) => writeConnInfo(w, info));
    return true;
  }

  packet(c: PacketConn, packet: Uint8Array): void {
    (c.session as PoolSession).sendInLine(K_PACKET, packet);
  }

  draining(c: PacketConn): void {
    // Its state lives on the handler thread: the hook runs there, and its reply comes back like a packet's.
    if (this.def.draining === undefined) return;
    const s = c.session as PoolSession;
    s.drainSeq = s.sendInLine(K_DRAINING, null);
  }

  close(c: BackendConn): void {
    const s = c.session as PoolSession | null;
    if (s === null) return;
    s.send(K_CLOSE);
    this.pool.detach(s);
  }

  adopt(from: BackendConn, to: BackendConn): void {
    const s = from.session as PoolSession | null;
    from.session = null;
    to.session = s;
    if (s === null) return;
    s.conn = to;
    // The handler's conn was opened for the HTTP connection; from now on it pushes and subscribes as a WebSocket
    // (ring FIFO: this reaches it before the first message).
    if (to.protocol === "ws") s.send(K_WS_OPEN);
  }

  datagramProc(localPort: () => number): DatagramProc {
    return udpPoolProc(this.pool, this.moduleIndex, localPort, this.io.index);
  }
}
