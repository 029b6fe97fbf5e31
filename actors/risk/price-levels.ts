import { RiskStateError } from './errors.js';

/**
 * A multiset of prices (integer ticks) kept sorted in typed arrays: the prices of our own open
 * orders on one side of one instrument. The best (lowest and highest) price is an O(1) read; add
 * and remove are a binary search plus a `copyWithin` shift over the distinct prices (a handful
 * for a quoting strategy). Storage grows by doubling and never shrinks, so steady trading
 * allocates nothing.
 */
export class PriceLevels {
  private prices: Float64Array;
  private counts: Float64Array;
  private n = 0;

  constructor(capacity = 8) {
    this.prices = new Float64Array(capacity);
    this.counts = new Float64Array(capacity);
  }

  /** Distinct prices held. */
  get size(): number {
    return this.n;
  }

  /** Lowest price held, or +Infinity when empty. */
  min(): number {
    return this.n === 0 ? Infinity : this.prices[0]!;
  }

  /** Highest price held, or -Infinity when empty. */
  max(): number {
    return this.n === 0 ? -Infinity : this.prices[this.n - 1]!;
  }

  /** Adds one order at `price`. */
  add(price: number): void {
    const i = this.search(price);
    if (i < this.n && this.prices[i] === price) {
      this.counts[i]! += 1;
      return;
    }
    if (this.n === this.prices.length) this.grow();
    this.prices.copyWithin(i + 1, i, this.n);
    this.counts.copyWithin(i + 1, i, this.n);
    this.prices[i] = price;
    this.counts[i] = 1;
    this.n++;
  }

  /** Removes one order at `price`; throws `RiskStateError` when none is held there. */
  remove(price: number): void {
    const i = this.search(price);
    if (i >= this.n || this.prices[i] !== price) throw new RiskStateError(`price levels: no open order at ${price} to remove`);
    if (this.counts[i]! > 1) {
      this.counts[i]! -= 1;
      return;
    }
    this.prices.copyWithin(i, i + 1, this.n);
    this.counts.copyWithin(i, i + 1, this.n);
    this.n--;
  }

  /** First index whose price is >= `price`. */
  private search(price: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.prices[mid]! < price) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(): void {
    const p = new Float64Array(this.prices.length * 2);
    const c = new Float64Array(this.counts.length * 2);
    p.set(this.prices);
    c.set(this.counts);
    this.prices = p;
    this.counts = c;
  }
}
