/**
 * @module io/tcp/reply-line
 * The replies a TCP connection owes, in packet order, while one of them is still pending (an async `proc`, or a
 * packet on a handler thread): each packet takes its place in line when it is handed to `proc`, and replies leave
 * from the head of the line as soon as everything before them has settled. Used only on the slow path: while nothing
 * is pending, replies go straight to the cork and the line stays empty.
 *
 * What waits here is memory the client makes the server hold (issue 12: a never-settling reply with the client
 * streaming small packets took GBs), so the line counts it: `owed` (places in line) and `heldBytes`: the replies
 * that are ready but stuck behind a pending one, the input buffers lent to pending Promises (their packets are views
 * of them), and in pool mode the packets out at the handler thread. The connection stops reading past MAX_INFLIGHT
 * owed or io.high_water held (line-connection.ts), and clears the line when it closes.
 */
import type { Cork } from "../cork.ts";
import { REPLY_BAD, badReplyMessage, settledReplyKind } from "../../module/hook-results.ts";

const PENDING = 0;
const READY = 1;
/** The Promise rejected (value: the reason) or the handler thread reported a failure. */
export const FAILED = 2;
/** The Promise resolved to something that is not a reply (value: the log line). */
export const BAD = 3;

export interface Slot {
  state: number;
  value: unknown;
  /** Bytes this slot adds to heldBytes while it waits. */
  bytes: number;
  /** FAILED: the hook that failed (for the log line). */
  hook?: string;
  /** How it is written (LineOut's `op`): 0 on TCP, the message opcode on a WebSocket. */
  op: number;
}

/** Where the line's replies go when they are not written as they are (a WebSocket frames them). */
export interface LineOut {
  emit(v: Uint8Array | string, op: number): void;
}

/** The line of every connection that owes nothing (issue 17: an array of its own was ~70 B of each idle one). Never written. */
const NO_SLOTS: Slot[] = [];

export class ReplyLine {
  private slots: Slot[] = NO_SLOTS;
  private head = 0;
  /** Once dropping, slots from this index on are discarded; the replies owed before it are still written. */
  private cut = -1;
  /** Bytes of replies ready but waiting behind a pending one. */
  heldBytes = 0;
  /**
   * Of those, bytes of pushes (an estimate, tcp-connection.ts: reset once nothing is owed). Here, not on the connection:
   * only a connection that owes a reply holds pushes in line, and a field of the connection is memory of every one.
   */
  heldPush = 0;

  /**
   * Places in line: replies owed, pending or waiting behind a pending one (slots.length - head, kept as a field: every
   * synchronous reply reads it, deep enough in the call chain that a getter would be a call of its own).
   */
  owed = 0;

  /**
   * A place for a reply that comes later (a Promise, a handler thread's answer); `bytes`: memory it holds meanwhile
   * (pool mode: the packet, out in the ring or parked behind a full one).
   */
  reserve(bytes = 0, op = 0): Slot {
    const s: Slot = { state: PENDING, value: undefined, bytes, op };
    this.writable().push(s);
    this.owed++;
    this.heldBytes += bytes;
    return s;
  }

  /**
   * A buffer of `bytes` is lent to the Promises of this event (their packets are views of it; the thread takes a fresh
   * one): it stays alive until they settle, so it counts until the last of them does.
   */
  chargeLoan(bytes: number): void {
    const last = this.slots[this.slots.length - 1];
    if (last === undefined || last.state !== PENDING) return;
    last.bytes += bytes;
    this.heldBytes += bytes;
  }

  /**
   * A synchronous reply that must wait behind a pending one. Bytes are copied: they may be a view of the thread's
   * input buffer or of the connection's pending bytes (proc returned its packet or a part of it), which the next read
   * overwrites long before the reply ahead settles.
   */
  hold(r: Uint8Array | string, op = 0): void {
    const bytes = r.length;
    this.writable().push({ state: READY, value: typeof r === "string" ? r : new Uint8Array(r), bytes, op }); // (Buffer#slice would be a view)
    this.owed++;
    this.heldBytes += bytes;
  }

  /**
   * A push made while the packet at place `index` was being handled (pool mode: during its proc on the handler
   * thread) goes just before that packet's reply; copied, as `hold` copies. False when `index` is the head of the
   * line (nothing is owed before it): the caller writes it now.
   */
  holdBefore(index: number, r: Uint8Array, op = 0): boolean {
    if (index <= this.head) return false;
    this.writable().splice(index, 0, { state: READY, value: new Uint8Array(r), bytes: r.length, op });
    this.owed++;
    this.heldBytes += r.length;
    if (this.cut > index) this.cut++;
    return true;
  }

  /** The Promise (or handler) behind `slot` answered with `value`; a value that is no reply fails in its turn. */
  resolve(slot: Slot, value: unknown, hook: string): void {
    this.heldBytes -= slot.bytes;
    slot.bytes = 0;
    if (settledReplyKind(value) === REPLY_BAD) {
      slot.state = BAD;
      slot.value = badReplyMessage(hook, value, true);
      return;
    }
    slot.state = READY;
    slot.value = value;
    if (value !== undefined && value !== null) {
      slot.bytes = (value as Uint8Array | string).length;
      this.heldBytes += slot.bytes;
    }
  }

  reject(slot: Slot, reason: unknown, hook: string): void {
    this.heldBytes -= slot.bytes;
    slot.bytes = 0;
    slot.state = FAILED;
    slot.value = reason;
    slot.hook = hook;
  }

  /** The slot's place in line, or -1 once it has left it. */
  indexOf(slot: Slot): number {
    return this.slots.indexOf(slot, this.head);
  }

  /** Dropping: the reply at `index` (the end of the line when -1) and every later one are discarded. */
  cutAt(index: number): void {
    if (this.cut < 0) this.cut = index < 0 ? this.slots.length : index;
  }

  /** The end of the line, where a drop() during proc cuts. */
  get end(): number {
    return this.slots.length;
  }

  /**
   * Moves the settled replies at the head of the line into the cork; stops at the first pending one. Returns the
   * slot that failed (FAILED or BAD) when one reached the head (the line is cleared then), else null.
   */
  drainInto(cork: Cork, out: LineOut | null = null): Slot | null {
    const slots = this.slots;
    while (this.head < slots.length) {
      const s = slots[this.head]!;
      if (s.state === PENDING) break;
      this.heldBytes -= s.bytes;
      // Owed after a drop: discarded, failures included (the connection is closing anyway).
      if (this.cut >= 0 && this.head >= this.cut) {
        this.head++;
        this.owed--;
        continue;
      }
      this.head++;
      this.owed--;
      if (s.state !== READY) {
        this.clear();
        return s;
      }
      const v = s.value as Uint8Array | string | null | undefined;
      if (v !== undefined && v !== null) {
        if (out === null) cork.add(v);
        else out.emit(v, s.op);
      }
    }
    if (this.head === slots.length) {
      slots.length = 0;
      this.head = 0;
      this.owed = 0;
      if (this.cut > 0) this.cut = 0; // whatever comes into line after a drop is past the cut
    }
    return null;
  }

  /** The housekeeping tick: a line that owes nothing gives its array up (the next reply owed makes one). */
  release(): void {
    if (this.slots !== NO_SLOTS && this.slots.length === 0 && this.cut < 0) this.slots = NO_SLOTS;
  }

  private writable(): Slot[] {
    return this.slots === NO_SLOTS ? (this.slots = []) : this.slots;
  }

  /** Lets go of everything in line (the connection closed, failed or lost its handler). */
  clear(): void {
    this.slots = NO_SLOTS;
    this.head = 0;
    this.owed = 0;
    this.heldBytes = 0;
  }
}
