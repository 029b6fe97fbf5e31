/**
 * Sample statistics and their standard errors for the network-model tests. Tolerances are stated
 * as a number of standard errors of the estimator, so each check can fail when the model is wrong
 * and passes for (almost) any seed when it is right.
 */
export interface Summary {
  n: number;
  mean: number;
  sd: number;
  /** Standard error of the mean for independent samples: sd/√n. */
  seMean: number;
  /** Standard error of the sample σ from the sample fourth central moment: √(m4 − s⁴)/(2s√n). */
  seSd: number;
}

/** Mean, σ and their standard errors of a sample. */
export function summarize(xs: Float64Array | number[]): Summary {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i]!;
  const mean = s / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= n;
  m4 /= n;
  const sd = Math.sqrt(m2);
  return { n, mean, sd, seMean: sd / Math.sqrt(n), seSd: Math.sqrt(Math.max(0, m4 - m2 * m2)) / (2 * sd * Math.sqrt(n)) };
}

/** Lag-1 sample autocorrelation. */
export function lag1(xs: Float64Array): number {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i]!;
  const mean = s / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    den += d * d;
    if (i > 0) num += d * (xs[i - 1]! - mean);
  }
  return num / den;
}

/** Fraction of the sample at or below x. */
export function fractionBelow(xs: Float64Array, x: number): number {
  let c = 0;
  for (let i = 0; i < xs.length; i++) if (xs[i]! <= x) c++;
  return c / xs.length;
}

/** Empirical p-quantile (sorts a copy). */
export function quantile(xs: Float64Array, p: number): number {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/** Asserts |actual − expected| ≤ tol with a message that shows all three. */
export function within(actual: number, expected: number, tol: number, what: string): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: expected ${expected} ± ${tol}, got ${actual} (off by ${(Math.abs(actual - expected) / tol).toFixed(2)}× the tolerance)`);
  }
}
