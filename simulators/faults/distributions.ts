import type { SeededRandom } from '../../common/random.js';
import { gammaP, gammaQuantile, normalCdf, normalPdf, normalQuantile } from './special-functions.js';

/** Latency body families. `normal` is the Phase 1 review's model; the others are right-skewed. */
export type DistributionName = 'normal' | 'lognormal' | 'gamma';

/** The distribution names accepted by {@link createLatencyBody}, in documentation order. */
export const DISTRIBUTIONS: readonly DistributionName[] = Object.freeze(['normal', 'lognormal', 'gamma']);

/** Parameters of a latency body: the body mean/σ and (lognormal/gamma only) a Pareto tail. */
export interface LatencyBodyParams {
  /** Target mean of the body in ms (the profile's base latency). */
  readonly meanMs: number;
  /** Target standard deviation of the body in ms (the profile's jitter). */
  readonly sdMs: number;
  /** Probability mass above the body's (1 − q) quantile that is replaced by a Pareto tail (0 = no tail). */
  readonly tailProbability?: number;
  /** Pareto tail index α (> 1): smaller is heavier. σ is infinite for α ≤ 2. */
  readonly tailAlpha?: number;
}

/** Exact moments of a latency body (what the tests compare sample statistics against). */
export interface BodyMoments {
  /** Mean in ms. */
  readonly meanMs: number;
  /** Standard deviation in ms (`Infinity` when the tail has α ≤ 2). */
  readonly sdMs: number;
}

/**
 * One latency body with its parameters compiled. Stateless and shareable between links: per-link
 * state (the AR(1) latent value, the RNG) lives in the link.
 */
export interface LatencyBody {
  /** The family. */
  readonly distribution: DistributionName;
  /** Draws one independent delay (ms), exact for the family. */
  sample(rng: SeededRandom): number;
  /**
   * Maps a standard-normal latent value to a delay with exactly this body's marginal distribution
   * (Gaussian copula: delay = F⁻¹(Φ(z))). The AR(1) process drives this.
   */
  fromLatent(z: number): number;
  /** Quantile function F⁻¹(p) (ms), for tests and documentation. */
  quantile(p: number): number;
  /** Exact mean and σ of this body, including truncation and tail. */
  moments(): BodyMoments;
}

/**
 * Builds a latency body whose mean/σ before truncation or tail are the given base/jitter.
 *
 * - `normal`: N(base, jitter²) truncated at 0 (negative draws are re-drawn, i.e. conditioned on
 *   x ≥ 0). With α = −base/jitter and λ = φ(α)/(1 − Φ(α)) the mean is base + jitter·λ and the variance
 *   jitter²·(1 + αλ − λ²): +27.6 ms on the outage profile (1000 ± 500), +0.22 ms on poor,
 *   +1.5e-5 ms on average, +3e-6 ms on good, nil on perfect. No tail (the review's model).
 * - `lognormal`: s² = ln(1 + (jitter/base)²), m = ln(base) − s²/2, so the body mean/σ are base/jitter.
 * - `gamma`: shape k = (base/jitter)², scale θ = jitter²/base; sampled with Marsaglia–Tsang.
 *
 * For lognormal and gamma the top `tailProbability` (q) of the body is replaced by a Pareto tail
 * starting at the body's (1 − q) quantile x_q: P(X > x) = q·(x/x_q)^−α for x ≥ x_q. The CDF stays
 * continuous, the bottom 1 − q is exactly the body, and moments() includes the tail's effect.
 */
export function createLatencyBody(distribution: DistributionName, params: LatencyBodyParams): LatencyBody {
  const mean = params.meanMs;
  const sd = params.sdMs;
  if (!(mean >= 0) || !(sd >= 0) || !Number.isFinite(mean) || !Number.isFinite(sd)) {
    throw new RangeError(`latency body: expected finite meanMs >= 0 and sdMs >= 0, got ${mean} and ${sd}`);
  }
  if (sd === 0) return new ConstantBody(distribution, mean);
  if (distribution === 'normal') return new TruncatedNormalBody(mean, sd);
  if (!(mean > 0)) {
    throw new RangeError(`latency body: a ${distribution} body needs meanMs > 0 when sdMs > 0, got ${mean}`);
  }
  const q = params.tailProbability ?? 0;
  const alpha = params.tailAlpha ?? Infinity;
  if (!(q >= 0 && q < 1) || (q > 0 && !(alpha > 1))) {
    throw new RangeError(`latency body: expected tailProbability in [0, 1) and tailAlpha > 1, got ${q} and ${alpha}`);
  }
  return distribution === 'lognormal' ? new LognormalBody(mean, sd, q, alpha) : new GammaBody(mean, sd, q, alpha);
}

class ConstantBody implements LatencyBody {
  constructor(
    readonly distribution: DistributionName,
    private readonly value: number,
  ) {}
  sample(): number {
    return this.value;
  }
  fromLatent(): number {
    return this.value;
  }
  quantile(): number {
    return this.value;
  }
  moments(): BodyMoments {
    return { meanMs: this.value, sdMs: 0 };
  }
}

/** Below this mass under 0 the truncation is ignored (its effect on the mean is < 1e-9·σ). */
const NEGLIGIBLE_TRUNCATION = 1e-12;

class TruncatedNormalBody implements LatencyBody {
  readonly distribution = 'normal' as const;
  /** Φ(−μ/σ): the probability mass the truncation removes. */
  private readonly cut: number;
  constructor(
    private readonly mu: number,
    private readonly sigma: number,
  ) {
    this.cut = normalCdf(-mu / sigma);
  }

  sample(rng: SeededRandom): number {
    // Rejection is exact for truncation and cheap: at most Φ(0) = 1/2 of draws are rejected.
    for (;;) {
      const x = this.mu + this.sigma * rng.normal();
      if (x >= 0) return x;
    }
  }

  fromLatent(z: number): number {
    if (this.cut < NEGLIGIBLE_TRUNCATION) return Math.max(0, this.mu + this.sigma * z);
    // u = Φ(a) + (1 − Φ(a))·Φ(z) mapped through Φ⁻¹; the upper half uses tail probabilities so no
    // precision is lost near 1.
    if (z <= 0) return Math.max(0, this.mu + this.sigma * normalQuantile(this.cut + (1 - this.cut) * normalCdf(z)));
    return this.mu - this.sigma * normalQuantile((1 - this.cut) * normalCdf(-z));
  }

  quantile(p: number): number {
    return Math.max(0, this.mu + this.sigma * normalQuantile(this.cut + (1 - this.cut) * p));
  }

  moments(): BodyMoments {
    return truncatedNormalMoments(this.mu, this.sigma);
  }
}

/**
 * Mean and σ of N(mu, sigma²) conditioned on x ≥ 0: with a = −mu/sigma and λ = φ(a)/(1 − Φ(a)),
 * mean = mu + sigma·λ and variance = sigma²·(1 + aλ − λ²).
 */
export function truncatedNormalMoments(mu: number, sigma: number): BodyMoments {
  if (sigma === 0) return { meanMs: Math.max(0, mu), sdMs: 0 };
  const a = -mu / sigma;
  const lambda = normalPdf(a) / normalCdf(-a);
  return { meanMs: mu + sigma * lambda, sdMs: sigma * Math.sqrt(1 + a * lambda - lambda * lambda) };
}

/** Pareto tail beyond x_q: X = x_q·(t/q)^(−1/α) for a tail probability t ∈ (0, q]. */
function paretoTail(xq: number, q: number, alpha: number, t: number): number {
  return xq * Math.pow(t / q, -1 / alpha);
}

/** First two partial moments of the Pareto tail times its mass q: q·E[X], q·E[X²]. */
function tailMoments(xq: number, q: number, alpha: number): [number, number] {
  if (q === 0) return [0, 0];
  const m1 = (q * alpha * xq) / (alpha - 1);
  const m2 = alpha > 2 ? (q * alpha * xq * xq) / (alpha - 2) : Infinity;
  return [m1, m2];
}

class LognormalBody implements LatencyBody {
  readonly distribution = 'lognormal' as const;
  private readonly m: number;
  private readonly s: number;
  /** Latent threshold: z ≥ zq falls in the tail. */
  private readonly zq: number;
  private readonly xq: number;
  constructor(
    mean: number,
    sd: number,
    private readonly q: number,
    private readonly alpha: number,
  ) {
    const cv = sd / mean;
    this.s = Math.sqrt(Math.log1p(cv * cv));
    this.m = Math.log(mean) - (this.s * this.s) / 2;
    this.zq = q > 0 ? -normalQuantile(q) : Infinity;
    this.xq = q > 0 ? Math.exp(this.m + this.s * this.zq) : Infinity;
  }

  sample(rng: SeededRandom): number {
    return this.fromLatent(rng.normal());
  }

  fromLatent(z: number): number {
    if (z < this.zq) return Math.exp(this.m + this.s * z);
    return paretoTail(this.xq, this.q, this.alpha, normalCdf(-z));
  }

  quantile(p: number): number {
    if (p < 1 - this.q) return Math.exp(this.m + this.s * normalQuantile(p));
    return paretoTail(this.xq, this.q, this.alpha, 1 - p);
  }

  moments(): BodyMoments {
    const { m, s, zq } = this;
    // Partial moments of the lognormal below x_q: E[X^n; X < x_q] = exp(n·m + n²s²/2)·Φ(zq − n·s).
    const b1 = Math.exp(m + (s * s) / 2) * normalCdf(zq - s);
    const b2 = Math.exp(2 * m + 2 * s * s) * normalCdf(zq - 2 * s);
    const [t1, t2] = tailMoments(this.xq, this.q, this.alpha);
    return momentsFrom(b1 + t1, b2 + t2);
  }
}

/** Latent grid of the gamma copula table: z from −8.3 (Φ ≈ 5e-17) up to the tail threshold. */
const GAMMA_TABLE_Z_MIN = -8.3;
const GAMMA_TABLE_INTERVALS = 2048;

class GammaBody implements LatencyBody {
  readonly distribution = 'gamma' as const;
  private readonly k: number;
  private readonly theta: number;
  private readonly zq: number;
  private readonly xq: number;
  /** ln F⁻¹(Φ(z)) on an even z grid, built lazily: only AR(1) links need it. */
  private table: Float64Array | undefined;
  private readonly zMax: number;
  private readonly step: number;
  constructor(
    mean: number,
    sd: number,
    private readonly q: number,
    private readonly alpha: number,
  ) {
    this.k = (mean / sd) ** 2;
    this.theta = (sd * sd) / mean;
    this.zq = q > 0 ? -normalQuantile(q) : Infinity;
    this.xq = q > 0 ? this.theta * gammaQuantile(this.k, q, true) : Infinity;
    this.zMax = q > 0 ? this.zq : -GAMMA_TABLE_Z_MIN;
    this.step = (this.zMax - GAMMA_TABLE_Z_MIN) / GAMMA_TABLE_INTERVALS;
  }

  sample(rng: SeededRandom): number {
    if (this.q > 0 && rng.next() < this.q) {
      let t = rng.next();
      while (t === 0) t = rng.next();
      return paretoTail(this.xq, this.q, this.alpha, t * this.q);
    }
    // Body conditioned on x < x_q: rejection, accepted with probability 1 − q.
    for (;;) {
      const x = this.theta * sampleGamma(rng, this.k);
      if (x < this.xq) return x;
    }
  }

  fromLatent(z: number): number {
    if (z >= this.zq) return paretoTail(this.xq, this.q, this.alpha, normalCdf(-z));
    const tab = this.table ?? this.buildTable();
    // Log-space linear interpolation: ln F⁻¹(Φ(z)) is smooth in z even for small shapes.
    let t = (z - GAMMA_TABLE_Z_MIN) / this.step;
    if (t < 0) t = 0;
    let i = Math.floor(t);
    if (i >= GAMMA_TABLE_INTERVALS) i = GAMMA_TABLE_INTERVALS - 1;
    const f = t - i;
    return Math.exp(tab[i]! + f * (tab[i + 1]! - tab[i]!));
  }

  quantile(p: number): number {
    if (p < 1 - this.q) return this.theta * gammaQuantile(this.k, p);
    return paretoTail(this.xq, this.q, this.alpha, 1 - p);
  }

  moments(): BodyMoments {
    const { k, theta } = this;
    // Partial moments below x_q: E[X; X < x] = kθ·P(k+1, x/θ), E[X²; X < x] = k(k+1)θ²·P(k+2, x/θ).
    const u = this.xq / theta;
    const b1 = k * theta * gammaP(k + 1, u);
    const b2 = k * (k + 1) * theta * theta * gammaP(k + 2, u);
    const [t1, t2] = tailMoments(this.xq, this.q, this.alpha);
    return momentsFrom(b1 + t1, b2 + t2);
  }

  private buildTable(): Float64Array {
    const tab = new Float64Array(GAMMA_TABLE_INTERVALS + 1);
    for (let i = 0; i <= GAMMA_TABLE_INTERVALS; i++) {
      const z = GAMMA_TABLE_Z_MIN + i * this.step;
      const x = z <= 0 ? gammaQuantile(this.k, normalCdf(z)) : gammaQuantile(this.k, normalCdf(-z), true);
      tab[i] = Math.log(this.theta * x);
    }
    this.table = tab;
    return tab;
  }
}

function momentsFrom(m1: number, m2: number): BodyMoments {
  return { meanMs: m1, sdMs: Number.isFinite(m2) ? Math.sqrt(Math.max(0, m2 - m1 * m1)) : Infinity };
}

/**
 * One draw from Gamma(shape k, scale 1) by Marsaglia & Tsang (2000), "A simple method for
 * generating gamma variables": d = k − 1/3, c = 1/√(9d), v = (1 + c·z)³, accept d·v when
 * ln u < z²/2 + d − d·v + d·ln v (squeeze u < 1 − 0.0331·z⁴ first). Shapes below 1 use
 * Gamma(k) = Gamma(k + 1)·U^(1/k). Expected draws per sample are below 1.05 for k ≥ 1.
 */
export function sampleGamma(rng: SeededRandom, k: number): number {
  if (k < 1) {
    let u = rng.next();
    while (u === 0) u = rng.next();
    return sampleGamma(rng, k + 1) * Math.pow(u, 1 / k);
  }
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let z: number;
    let v: number;
    do {
      z = rng.normal();
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    const z2 = z * z;
    if (u < 1 - 0.0331 * z2 * z2) return d * v;
    if (Math.log(u) < z2 / 2 + d * (1 - v + Math.log(v))) return d * v;
  }
}
