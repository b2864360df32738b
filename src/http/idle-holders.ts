/**
 * @module http/idle-holders
 * The HTTP connections of one listener that went idle between requests still holding a parser and request state
 * (http-connection.ts), at most SIZE of them. The housekeeping tick gives both back (parks the connection) once it
 * finds the connection idle, but a tick comes once a second: a burst of new connections, each answered once, would
 * hold a parser and request state each until then, and the heap and WASM memory they took stay in the process's RSS
 * after they are let go (issue 17, bench/idle-memory.ts: 10,000 connections, 256 at a time). Past SIZE, the one
 * remembered longest ago is parked at once, if still idle. A server with up to SIZE busy keep-alive connections per
 * listener never parks one here, so their requests take nothing new.
 */

/** What a holder can be asked: give back its parser and request state if it is idle between requests. */
export interface IdleHolder {
  parkIfIdle(): void;
  /** Cleared when it leaves the ring: it may be remembered again. */
  held: boolean;
}

/** Connections remembered per listener; beyond, the oldest is parked. */
const SIZE = 256;

export class IdleHolders {
  private readonly ring: (IdleHolder | null)[] = new Array<IdleHolder | null>(SIZE).fill(null);
  private next = 0;

  /** `c` went idle holding a parser or request state (and is not remembered yet). */
  add(c: IdleHolder): void {
    const i = this.next;
    const old = this.ring[i]!;
    this.ring[i] = c;
    this.next = i + 1 === SIZE ? 0 : i + 1;
    c.held = true;
    if (old !== null) {
      old.held = false;
      old.parkIfIdle();
    }
  }
}
