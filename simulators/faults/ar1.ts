import type { SeededRandom } from '../../common/random.js';

/**
 * AR(1) process on standardised Gaussian noise: z_t = φ·z_{t−1} + √(1 − φ²)·ε_t with ε_t ~ N(0, 1).
 * Started from z_0 ~ N(0, 1), every z_t is exactly N(0, 1) (the stationary marginal) and
 * corr(z_t, z_{t−k}) = φ^k. A latency body maps z_t through its quantile function
 * ({@link LatencyBody.fromLatent}), so the delay marginal is exactly the body's whatever φ is;
 * only the dependence between successive delays changes. For the `normal` body the delays' lag-1
 * correlation is φ exactly (up to the truncation at 0); for skewed bodies it is slightly below φ
 * (a monotone transform of a Gaussian pair has |corr| ≤ the Gaussian's).
 */
export class Ar1 {
  private phiValue = 0;
  /** √(1 − φ²), precomputed. */
  private innovationScale = 1;
  private z: number | undefined;

  /** @param phi lag-1 coefficient φ in (−1, 1); 0 gives independent draws */
  constructor(phi: number) {
    this.setPhi(phi);
  }

  /** φ in use. */
  get phi(): number {
    return this.phiValue;
  }

  /**
   * Changes φ keeping the current value, so a profile change mid-run continues the same process
   * (the marginal stays N(0, 1) because z_{t−1} already is).
   */
  setPhi(phi: number): void {
    if (!(phi > -1 && phi < 1)) throw new RangeError(`Ar1.phi: expected a value in (-1, 1), got ${String(phi)}`);
    this.phiValue = phi;
    this.innovationScale = Math.sqrt(1 - phi * phi);
  }

  /** The next standardised value z_t (the first call draws z_0 from the stationary N(0, 1)). */
  next(rng: SeededRandom): number {
    const e = rng.normal();
    this.z = this.z === undefined ? e : this.phiValue * this.z + this.innovationScale * e;
    return this.z;
  }

  /** The last value returned by {@link next}, or undefined before the first call. */
  get current(): number | undefined {
    return this.z;
  }
}
