import type { SeededRandom } from '../../common/random.js';

/** A volatility regime of the fair-value process. */
export interface Regime {
  name: 'calm' | 'volatile';
  /** Multiplier on the instrument's annualised volatility. */
  volMultiplier: number;
  /** Expected jumps per day. */
  jumpsPerDay: number;
  /** Log-size of a jump: mean and standard deviation. */
  jumpMean: number;
  jumpStd: number;
  /** Expected regime duration in seconds (exponential holding time). */
  meanDurationSec: number;
}

/** The two regimes of the Markov switch. Calm most of the time, volatile bursts of minutes. */
export const REGIMES: Readonly<Record<Regime['name'], Regime>> = Object.freeze({
  calm: { name: 'calm', volMultiplier: 1, jumpsPerDay: 4, jumpMean: 0, jumpStd: 0.004, meanDurationSec: 1800 },
  volatile: { name: 'volatile', volMultiplier: 3, jumpsPerDay: 48, jumpMean: 0, jumpStd: 0.012, meanDurationSec: 300 },
});

const MS_PER_YEAR = 365 * 24 * 3600 * 1000;

/**
 * A crisis drive: while set, the log price is pulled towards `targetPrice` with time constant
 * `tauMs`, and volatility is multiplied by `volMultiplier` (crises.ts sets it along its script).
 */
export interface Drive {
  targetPrice: number;
  volMultiplier: number;
  tauMs: number;
}

/**
 * Fair value of one instrument: geometric Brownian motion with Poisson jumps (Merton) and a
 * two-state volatility regime switch, stepped by elapsed clock time. Deterministic for a given
 * seeded generator and sequence of step sizes.
 */
export class FairValue {
  private logPrice: number;
  private regime: Regime = REGIMES.calm;
  private regimeLeftMs: number;
  private drive: Drive | undefined;

  constructor(
    private readonly rng: SeededRandom,
    initialPrice: number,
    private readonly annualVol: number,
    private readonly driftPerYear = 0,
  ) {
    this.logPrice = Math.log(initialPrice);
    this.regimeLeftMs = this.holdingMs();
  }

  /** Current fair value. */
  get price(): number {
    return Math.exp(this.logPrice);
  }

  /** Name of the current regime. */
  get regimeName(): Regime['name'] {
    return this.regime.name;
  }

  /** Sets or clears the crisis drive. */
  setDrive(d: Drive | undefined): void {
    this.drive = d;
  }

  /** Jumps the price to `price` at once (a gap: venue reopening, a halt lifted). */
  gapTo(price: number): void {
    this.logPrice = Math.log(Math.max(price, 1e-12));
  }

  /** Advances the process by `dtMs` of clock time and returns the new fair value. */
  step(dtMs: number): number {
    if (dtMs <= 0) return this.price;
    this.regimeLeftMs -= dtMs;
    if (this.regimeLeftMs <= 0) {
      this.regime = this.regime.name === 'calm' ? REGIMES.volatile : REGIMES.calm;
      this.regimeLeftMs = this.holdingMs();
    }
    const dt = dtMs / MS_PER_YEAR;
    const volMul = this.regime.volMultiplier * (this.drive?.volMultiplier ?? 1);
    const sigma = this.annualVol * volMul;
    let d = (this.driftPerYear - (sigma * sigma) / 2) * dt + sigma * Math.sqrt(dt) * this.rng.normal();
    // Poisson jumps: with small steps at most one jump per step is a fine approximation.
    const lambda = (this.regime.jumpsPerDay * dtMs) / 86_400_000;
    if (this.rng.next() < lambda) d += this.regime.jumpMean + this.regime.jumpStd * this.rng.normal();
    if (this.drive !== undefined) {
      const pull = Math.min(1, dtMs / this.drive.tauMs);
      d += pull * (Math.log(this.drive.targetPrice) - this.logPrice);
    }
    this.logPrice += d;
    return this.price;
  }

  private holdingMs(): number {
    return -Math.log(1 - this.rng.next()) * this.regime.meanDurationSec * 1000;
  }
}
