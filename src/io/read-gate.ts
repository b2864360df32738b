/**
 * @module io/read-gate
 * When a stream connection reads: a set of pause reasons (the socket reads again only when none is left) and the
 * backlog, input already received that waits unanswered because answering it now would pass a bound (output past
 * high water, too many replies owed or held). One small object per connection; it touches the socket only when the
 * first reason comes or the last one goes.
 */

/** Why reading is paused. */
/** The output queue is past io.high_water. */
export const PAUSE_OUTPUT = 1;
/** Too many replies owed, or too many reply bytes held behind a pending one (TCP: tcp/reply-line.ts). */
export const PAUSE_INFLIGHT = 2;
/** HTTP: a response is in progress. */
export const PAUSE_WAIT = 4;
/** Pool mode: the ring to the connection's handler thread is full. */
export const PAUSE_RING = 8;
/** Input already received is held back (the backlog) until it is answered. */
export const PAUSE_BACKLOG = 16;
/** HTTP: a `fetch` hook's request-body stream is full (the hook is not reading it). */
export const PAUSE_BODY = 32;

/** What the gate pauses and resumes (Bun's socket). */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** The connection behind a gate: whether it is gone, whether its backlog may be answered now, and how. */
export interface BacklogOwner {
  readonly closed: boolean;
  /** True when nothing that made the backlog holds any more (output under high water, nothing held). */
  backlogReady(): boolean;
  /** Answers the held input (TCP frames it, HTTP parses it); may leave a new backlog. */
  resumeBacklog(): void;
}

export class ReadGate {
  private reasons = 0;
  /**
   * Input already received waits unanswered (TCP: whole packets in the connection's pending bytes; HTTP: pipelined
   * requests not parsed yet). Answering is capped per event, and reading must be too, or a client that does not read
   * could make the server hold any amount of its input.
   */
  backlogged = false;
  private readonly retry = (): void => {
    const o = this.owner;
    if (this.backlogged && !o.closed && o.backlogReady()) o.resumeBacklog();
  };

  constructor(
    private readonly socket: Pausable,
    private readonly owner: BacklogOwner,
  ) {}

  pause(reason: number): void {
    if (this.reasons === 0 && !this.owner.closed) this.socket.pause();
    this.reasons |= reason;
  }

  resume(reason: number): void {
    if ((this.reasons & reason) === 0) return;
    this.reasons &= ~reason;
    if (this.reasons === 0 && !this.owner.closed) this.socket.resume();
  }

  has(reason: number): boolean {
    return (this.reasons & reason) !== 0;
  }

  /**
   * At the end of an event that left a backlog: stop reading until it is answered. What lifts the bound (a drain, a
   * held reply settling) answers it; when nothing holds it any more no such event will come, so the next turn does.
   */
  holdBacklog(): void {
    if (!this.backlogged || this.owner.closed) return;
    this.pause(PAUSE_BACKLOG);
    if (this.owner.backlogReady()) setImmediate(this.retry);
  }

  /** The backlog is answered: read again (unless another reason still holds reading). */
  cleared(): void {
    this.resume(PAUSE_BACKLOG);
  }
}
