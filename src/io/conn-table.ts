/**
 * @module io/conn-table
 * The thread's open connections (io-context.ts `conns`: the idle sweep, draining, lookups by id), as two plain arrays
 * in id order rather than a Set. Issue 17: a Set's table cost ~105 bytes of heap per entry (a heap snapshot of 5,000
 * idle connections: one 524 KB butterfly), these arrays 16 (an object pointer and its id as a double), and no field is
 * added to the connection for it (a slot index would be one more field of every connection object).
 *
 * Ids only grow (io-context.ts newConnId), so an accept appends; a close leaves a hole (its id stays, for the binary
 * search), and holes are squeezed out once they are half the table. A squeeze makes new arrays, so an iteration in
 * progress goes on over the old ones (it may then see a connection closed since; every tick() returns for those).
 * An id added out of order (a UDP listener's keeper joining a drain; a WebSocket taking its HTTP connection's id)
 * fills its hole or is inserted in place.
 */

export interface Keyed {
  readonly id: number;
}

/** Holes squeezed out once they are at least this many and half of the table. */
const SQUEEZE_MIN = 16;

export class ConnTable<T extends Keyed> {
  private items: (T | null)[] = [];
  private ids: number[] = [];
  private holes = 0;

  /** Connections in the table. */
  get size(): number {
    return this.items.length - this.holes;
  }

  add(c: T): void {
    const items = this.items;
    const n = items.length;
    if (n === 0 || this.ids[n - 1]! < c.id) {
      items.push(c);
      this.ids.push(c.id);
      return;
    }
    const i = this.find(c.id);
    if (i < n && this.ids[i] === c.id) {
      if (items[i] === null) {
        items[i] = c;
        this.holes--;
      } else items[i] = c; // the same id again: the newer object stands for it
      return;
    }
    items.splice(i, 0, c);
    this.ids.splice(i, 0, c.id);
  }

  /** Removes `c` (the object itself, not another of its id); false when it was not in the table. */
  delete(c: T): boolean {
    const items = this.items;
    const i = this.find(c.id);
    if (i >= items.length || items[i] !== c) return false;
    if (i === items.length - 1) {
      items.pop();
      this.ids.pop();
      while (items.length > 0 && items[items.length - 1] === null) {
        items.pop();
        this.ids.pop();
        this.holes--;
      }
      return true;
    }
    items[i] = null;
    if (++this.holes >= SQUEEZE_MIN && this.holes * 2 >= items.length) this.squeeze();
    return true;
  }

  has(c: T): boolean {
    const i = this.find(c.id);
    return i < this.items.length && this.items[i] === c;
  }

  /** The connection of this id, if open here. */
  get(id: number): T | undefined {
    const i = this.find(id);
    return i < this.items.length && this.ids[i] === id ? (this.items[i] ?? undefined) : undefined;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      const c = items[i]!;
      if (c !== null) yield c;
    }
  }

  values(): IterableIterator<T> {
    return this[Symbol.iterator]();
  }

  /** The first index whose id is at least `id`. */
  private find(id: number): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private squeeze(): void {
    const items: (T | null)[] = [];
    const ids: number[] = [];
    for (let i = 0; i < this.items.length; i++) {
      const c = this.items[i]!;
      if (c === null) continue;
      items.push(c);
      ids.push(this.ids[i]!);
    }
    this.items = items;
    this.ids = ids;
    this.holes = 0;
  }
}
