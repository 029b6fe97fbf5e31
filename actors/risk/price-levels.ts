import { RiskStateError } from './errors.js';

/**
 * A multiset of prices (integer ticks) kept sorted in typed arrays: the prices of our own open
 * orders on one side of one instrument. The best (lowest and highest) price is an O(1) read; add
 * and remove are a binary search plus a `copyWithin` shift of the shorter side (the held prices
 * float in the storage, so adding above the highest or removing the lowest — orders placed at
 * rising prices and closed oldest first — is O(1) however many are held; a quoting strategy holds a
 * handful anyway). Storage grows by doubling and never shrinks, so steady trading allocates nothing.
 */
export class PriceLevels {
  private prices: Float64Array;
  private counts: Float64Array;
  /** Held prices sit at indices [base, base + n), sorted ascending. */
  private base = 0;
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
    return this.n === 0 ? Infinity : this.prices[this.base]!;
  }

  /** Highest price held, or -Infinity when empty. */
  max(): number {
    return this.n === 0 ? -Infinity : this.prices[this.base + this.n - 1]!;
  }

  /**
   * Whether a buy at `p` would reach the lowest price held (`size > 0 && p >= min()`). A boolean,
   * not the price: a double returned by a call V8 does not inline into the risk check is boxed.
   */
  reachedByBuy(p: number): boolean {
    return this.n > 0 && p >= this.prices[this.base]!;
  }

  /** Whether a sell at `p` would reach the highest price held (`size > 0 && p <= max()`). */
  reachedBySell(p: number): boolean {
    return this.n > 0 && p <= this.prices[this.base + this.n - 1]!;
  }

  /** Adds one order at `price`. */
  add(price: number): void {
    const i = this.search(price);
    const b = this.base;
    if (i < b + this.n && this.prices[i] === price) {
      this.counts[i]! += 1;
      return;
    }
    if (i - b < this.n >>> 1 && b > 0) {
      // Nearer the low end and room below: shift the lower part down by one.
      this.prices.copyWithin(b - 1, b, i);
      this.counts.copyWithin(b - 1, b, i);
      this.base = b - 1;
      this.prices[i - 1] = price;
      this.counts[i - 1] = 1;
      this.n++;
      return;
    }
    if (b + this.n === this.prices.length) {
      this.makeRoomAbove();
      return this.add(price);
    }
    this.prices.copyWithin(i + 1, i, b + this.n);
    this.counts.copyWithin(i + 1, i, b + this.n);
    this.prices[i] = price;
    this.counts[i] = 1;
    this.n++;
  }

  /** Removes one order at `price`; throws `RiskStateError` when none is held there. */
  remove(price: number): void {
    const i = this.search(price);
    const b = this.base;
    if (i >= b + this.n || this.prices[i] !== price) throw new RiskStateError(`price levels: no open order at ${price} to remove`);
    if (this.counts[i]! > 1) {
      this.counts[i]! -= 1;
      return;
    }
    if (i - b < this.n >>> 1) {
      // Nearer the low end: shift the lower part up by one (O(1) for the lowest price).
      this.prices.copyWithin(b + 1, b, i);
      this.counts.copyWithin(b + 1, b, i);
      this.base = b + 1;
    } else {
      this.prices.copyWithin(i, i + 1, b + this.n);
      this.counts.copyWithin(i, i + 1, b + this.n);
    }
    this.n--;
    if (this.n === 0) this.base = 0;
  }

  /** First index (absolute) in [base, base + n] whose price is >= `price`. */
  private search(price: number): number {
    let lo = this.base;
    let hi = this.base + this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.prices[mid]! < price) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The top of the storage is reached: move the held prices to the bottom when at least a quarter
   * of the storage is free there (amortised: that space was freed by as many removals), else double.
   */
  private makeRoomAbove(): void {
    if (this.base > 0 && this.base >= this.prices.length >>> 2) {
      this.prices.copyWithin(0, this.base, this.base + this.n);
      this.counts.copyWithin(0, this.base, this.base + this.n);
      this.base = 0;
      return;
    }
    const p = new Float64Array(this.prices.length * 2);
    const c = new Float64Array(this.counts.length * 2);
    p.set(this.prices.subarray(this.base, this.base + this.n));
    c.set(this.counts.subarray(this.base, this.base + this.n));
    this.prices = p;
    this.counts = c;
    this.base = 0;
  }
}
