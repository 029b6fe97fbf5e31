/**
 * Sliding-window moments of two series (means, variances, covariance; population, i.e. / n) for
 * a pairs strategy's hedge ratio and spread. Samples live in two preallocated rings and the
 * moments are recomputed two-pass over the window on demand: O(window) and allocation-free, and
 * exact to rounding whatever the price level (no running Σx² to cancel away).
 */
export class PairWindow {
  readonly window: number;
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private head = 0;
  private n = 0;
  meanX = NaN;
  meanY = NaN;
  varX = NaN;
  varY = NaN;
  cov = NaN;

  constructor(window: number) {
    this.window = window;
    this.xs = new Float64Array(window);
    this.ys = new Float64Array(window);
  }

  /** Samples in the window (0 … window). */
  get count(): number {
    return this.n;
  }

  /** Adds a sample; the oldest leaves once the window is full. */
  push(x: number, y: number): void {
    this.xs[this.head] = x;
    this.ys[this.head] = y;
    this.head = this.head + 1 === this.window ? 0 : this.head + 1;
    if (this.n < this.window) this.n++;
  }

  /** Recomputes the moments of the samples in the window. */
  compute(): void {
    const n = this.n;
    const { xs, ys } = this;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      sx += xs[i]!;
      sy += ys[i]!;
    }
    const mx = sx / n;
    const my = sy / n;
    let vx = 0;
    let vy = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const dx = xs[i]! - mx;
      const dy = ys[i]! - my;
      vx += dx * dx;
      vy += dy * dy;
      c += dx * dy;
    }
    this.meanX = mx;
    this.meanY = my;
    this.varX = vx / n;
    this.varY = vy / n;
    this.cov = c / n;
  }

  /** Empties the window. */
  reset(): void {
    this.head = 0;
    this.n = 0;
  }
}
