import type { SimOrder } from './order.js';

/**
 * 30-bit FNV-1a of a client order id (UTF-16 code units): a small integer key, so a map lookup
 * compares integers in the table instead of dereferencing every candidate key string in the bucket.
 */
export function clientIdHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/** Slot states of {@link OpenIndex.hashes} besides a stored hash (which is 1 … 2^30). */
const EMPTY = 0;
const GONE = -1;
/** Smallest table (slots). */
const MIN_CAPACITY = 16;

/**
 * The resting orders of one account in one symbol by client order id: the duplicate check of every
 * `place`, cancel by client order id and the account's open orders. An open-addressing table
 * (linear probing) whose hashes live in an `Int32Array` beside the order slots: a lookup reads one
 * cache line of hashes and dereferences an order only when its hash matches, where a `Map` keyed by
 * the id string compared every candidate key string in the bucket (a cache miss each, and the book
 * can hold tens of thousands of orders). Removed slots become tombstones (counted in {@link used}),
 * cleared when the table is rebuilt; the table is rebuilt smaller once it is under 1/16 full, so its
 * size follows the orders resting now, not the most that ever rested (a burst of a house ladder).
 */
export class OpenIndex {
  private hashes = new Int32Array(MIN_CAPACITY);
  private slots: (SimOrder | undefined)[] = new Array<SimOrder | undefined>(MIN_CAPACITY).fill(undefined);
  /** Orders in the table. */
  size = 0;
  /** Slots not {@link EMPTY} (orders and tombstones). */
  private used = 0;

  /** The resting order with `clientOrderId`; `hash` is its {@link clientIdHash} when the caller has it already. */
  get(clientOrderId: string, hash = clientIdHash(clientOrderId)): SimOrder | undefined {
    const h = hash + 1;
    const mask = this.hashes.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = this.hashes[i]!;
      if (x === EMPTY) return undefined;
      if (x === h) {
        const o = this.slots[i]!;
        if (o.clientOrderId === clientOrderId) return o;
      }
    }
  }

  /** Adds a resting order (the caller has checked that no resting order has its id); `hash` as in {@link get}. */
  add(o: SimOrder, hash = clientIdHash(o.clientOrderId)): void {
    if ((this.used + 1) * 4 > this.hashes.length * 3) this.rebuild();
    const h = hash + 1;
    const mask = this.hashes.length - 1;
    let i = h & mask;
    for (;;) {
      const x = this.hashes[i]!;
      if (x === EMPTY || x === GONE) break;
      i = (i + 1) & mask;
    }
    if (this.hashes[i] === EMPTY) this.used++;
    this.hashes[i] = h;
    this.slots[i] = o;
    this.size++;
  }

  /** Removes `o` if it is here (an order that never rested is not). */
  remove(o: SimOrder): void {
    const h = clientIdHash(o.clientOrderId) + 1;
    const mask = this.hashes.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = this.hashes[i]!;
      if (x === EMPTY) return;
      if (x === h && this.slots[i] === o) {
        this.hashes[i] = GONE;
        this.slots[i] = undefined;
        this.size--;
        if (this.size * 16 < this.hashes.length && this.hashes.length > MIN_CAPACITY) this.rebuild();
        return;
      }
    }
  }

  /** Slots in the table (orders, tombstones and empty slots): what it costs, for tests and memory reports. */
  get capacity(): number {
    return this.hashes.length;
  }

  /** Every resting order (no particular order). */
  *values(): IterableIterator<SimOrder> {
    for (const o of this.slots) if (o !== undefined) yield o;
  }

  /**
   * Re-inserts every order (tombstones dropped) into the smallest table (at least
   * {@link MIN_CAPACITY}) under a quarter full, so it is 1/8 to 1/4 full: the next growth is at least
   * half a table of inserts away, the next shrink (under 1/16) at least 1/16 of a table of removes
   * away, so each operation pays for at most a bounded number of re-inserts. The stored hashes are
   * reused (no id string is hashed again).
   */
  private rebuild(): void {
    let cap = MIN_CAPACITY;
    while (this.size * 4 >= cap) cap *= 2;
    const oldSlots = this.slots;
    const oldHashes = this.hashes;
    this.hashes = new Int32Array(cap);
    this.slots = new Array<SimOrder | undefined>(cap).fill(undefined);
    this.size = 0;
    this.used = 0;
    for (let i = 0; i < oldSlots.length; i++) {
      const o = oldSlots[i];
      if (o !== undefined) this.add(o, oldHashes[i]! - 1);
    }
  }
}
