import type { SimOrder } from './order.js';

// Plain arithmetic, not shifts: an id is any safe integer, and `>>>` would wrap above 2^32.
const PAGE_SIZE = 4096;

interface Page {
  readonly slots: (SimOrder | undefined)[];
  count: number;
}

/**
 * Orders by venue order id. Ids are issued in ascending order, so they are kept in pages of 4096
 * slots found through a small map: an insert is an array store, where one large `Map<number, …>`
 * rehashed and copied its whole table as it grew with every client order the venue keeps. A page
 * whose orders were all deleted (house orders, forgotten once closed) is dropped, so memory follows
 * the orders kept, not the orders ever placed. Iteration is in ascending id order.
 */
export class OrderIndex {
  private readonly pages = new Map<number, Page>();
  private keys: number[] | undefined = [];

  get(orderId: number): SimOrder | undefined {
    const k = Math.floor(orderId / PAGE_SIZE);
    return this.pages.get(k)?.slots[orderId - k * PAGE_SIZE];
  }

  set(orderId: number, o: SimOrder): void {
    const k = Math.floor(orderId / PAGE_SIZE);
    let p = this.pages.get(k);
    if (p === undefined) {
      p = { slots: new Array<SimOrder | undefined>(PAGE_SIZE).fill(undefined), count: 0 };
      this.pages.set(k, p);
      this.keys = undefined;
    }
    const i = orderId - k * PAGE_SIZE;
    if (p.slots[i] === undefined) p.count++;
    p.slots[i] = o;
  }

  delete(orderId: number): void {
    const k = Math.floor(orderId / PAGE_SIZE);
    const p = this.pages.get(k);
    if (p === undefined) return;
    const i = orderId - k * PAGE_SIZE;
    if (p.slots[i] === undefined) return;
    p.slots[i] = undefined;
    if (--p.count === 0) {
      this.pages.delete(k);
      this.keys = undefined;
    }
  }

  /** Every order, ascending id. */
  *values(): IterableIterator<SimOrder> {
    if (this.keys === undefined) this.keys = [...this.pages.keys()].sort((a, b) => a - b);
    for (const k of this.keys) {
      const p = this.pages.get(k);
      if (p === undefined) continue;
      for (const o of p.slots) if (o !== undefined) yield o;
    }
  }
}
