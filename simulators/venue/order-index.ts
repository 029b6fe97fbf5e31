import type { SimOrder } from './order.js';

// Plain arithmetic, not shifts: an id is any safe integer, and `>>>` would wrap above 2^32.
const PAGE_SIZE = 4096;
/**
 * A page other than the newest is retired once it holds this many orders or fewer: its survivors
 * move to the overflow map and its slots are recycled. So every page kept besides the newest holds
 * more than 1/16 of its slots, and the pages cost at most 16 slots per order kept (plus the newest).
 */
const RETIRE_AT = PAGE_SIZE / 16;

interface Page {
  readonly slots: (SimOrder | undefined)[];
  count: number;
}

/** What an {@link OrderIndex} holds (for tests and memory reports). */
export interface OrderIndexFootprint {
  /** Orders in the index. */
  readonly size: number;
  /** Pages allocated (each {@link PAGE_SIZE} slots). */
  readonly pages: number;
  /** Orders held in the overflow map (survivors of retired pages). */
  readonly overflow: number;
}

/**
 * Orders by venue order id. Ids are issued in ascending order, so they are kept in pages of 4096
 * slots found through a small map: an insert is an array store, where one large `Map<number, …>`
 * rehashed and copied its whole table as it grew with every client order the venue keeps.
 *
 * Memory follows the orders kept, not the orders ever placed: a page whose orders all went (house
 * orders are forgotten once closed) is dropped, and a page ids have moved past that keeps only a few
 * long-lived orders (a house order resting far from the mid, a retained client order) is retired:
 * those orders move to an overflow `Map` (which V8 shrinks as it empties) and the page's 4096 slots
 * are reused for the next page. An order whose page is gone is always in the overflow map, so a
 * lookup is one page-map lookup and, only when that page is gone, one overflow lookup.
 * Iteration is in ascending id order.
 */
export class OrderIndex {
  private readonly pages = new Map<number, Page>();
  /** Orders whose page was retired or dropped before they were set (ids below {@link head}'s page). */
  private readonly overflow = new Map<number, SimOrder>();
  /** Key of the newest page (the one ids are being issued into); -Infinity before the first. */
  private head = -Infinity;
  /** One emptied page kept for the next page (all slots undefined, count 0). */
  private spare: Page | undefined;
  private keys: number[] | undefined = [];
  private count = 0;

  get(orderId: number): SimOrder | undefined {
    const k = Math.floor(orderId / PAGE_SIZE);
    const p = this.pages.get(k);
    if (p !== undefined) return p.slots[orderId - k * PAGE_SIZE];
    return this.overflow.size === 0 ? undefined : this.overflow.get(orderId);
  }

  set(orderId: number, o: SimOrder): void {
    const k = Math.floor(orderId / PAGE_SIZE);
    let p = this.pages.get(k);
    if (p === undefined) {
      if (k < this.head) {
        // Below the newest page and its page is gone (retired or emptied): the overflow map holds it.
        if (!this.overflow.has(orderId)) this.count++;
        this.overflow.set(orderId, o);
        return;
      }
      p = this.spare ?? { slots: new Array<SimOrder | undefined>(PAGE_SIZE).fill(undefined), count: 0 };
      this.spare = undefined;
      this.pages.set(k, p);
      this.keys = undefined;
      if (k > this.head) {
        const prev = this.head;
        this.head = k;
        // The previous newest page is now behind: retire it if it keeps few orders.
        const old = this.pages.get(prev);
        if (old !== undefined && old.count <= RETIRE_AT) this.retire(prev, old);
      }
    }
    const i = orderId - k * PAGE_SIZE;
    if (p.slots[i] === undefined) {
      p.count++;
      this.count++;
    }
    p.slots[i] = o;
  }

  delete(orderId: number): void {
    const k = Math.floor(orderId / PAGE_SIZE);
    const p = this.pages.get(k);
    if (p === undefined) {
      if (this.overflow.delete(orderId)) this.count--;
      return;
    }
    const i = orderId - k * PAGE_SIZE;
    if (p.slots[i] === undefined) return;
    p.slots[i] = undefined;
    this.count--;
    if (--p.count === 0 || (k < this.head && p.count <= RETIRE_AT)) this.retire(k, p);
  }

  /** What the index holds now. */
  footprint(): OrderIndexFootprint {
    return { size: this.count, pages: this.pages.size + (this.spare === undefined ? 0 : 1), overflow: this.overflow.size };
  }

  /** Every order, ascending id. */
  *values(): IterableIterator<SimOrder> {
    if (this.keys === undefined) this.keys = [...this.pages.keys()].sort((a, b) => a - b);
    const keys = this.keys;
    const extra = this.overflow.size === 0 ? [] : [...this.overflow.keys()].sort((a, b) => a - b);
    let j = 0;
    for (const k of keys) {
      const p = this.pages.get(k);
      if (p === undefined) continue;
      const first = k * PAGE_SIZE;
      while (j < extra.length && extra[j]! < first) {
        const o = this.overflow.get(extra[j++]!);
        if (o !== undefined) yield o;
      }
      for (const o of p.slots) if (o !== undefined) yield o;
    }
    while (j < extra.length) {
      const o = this.overflow.get(extra[j++]!);
      if (o !== undefined) yield o;
    }
  }

  /** Moves page `k`'s orders to the overflow map, drops the page and keeps its slots as the spare. */
  private retire(k: number, p: Page): void {
    if (p.count > 0) {
      const base = k * PAGE_SIZE;
      const slots = p.slots;
      for (let i = 0; i < PAGE_SIZE; i++) {
        const o = slots[i];
        if (o !== undefined) {
          this.overflow.set(base + i, o);
          slots[i] = undefined;
        }
      }
      p.count = 0;
    }
    this.pages.delete(k);
    this.keys = undefined;
    this.spare = p;
  }
}
