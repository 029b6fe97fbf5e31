import { ConfigError } from '../../common/errors.js';
import type { SeededRandom } from '../../common/random.js';
import { parseOptions, z } from '../../common/validate.js';

/**
 * Parameters of a Gilbert-Elliott channel: a two-state Markov chain (Good, Bad) stepped once per
 * message, losing the message with probability `lossInGood` or `lossInBad` depending on the state.
 */
export interface GilbertElliottParams {
  /** P(Good → Bad) per message. */
  readonly p: number;
  /** P(Bad → Good) per message. */
  readonly r: number;
  /** Loss probability while Good (h_G; 0 in Gilbert's original model). */
  readonly lossInGood: number;
  /** Loss probability while Bad (h_B; 1 in Gilbert's original model). */
  readonly lossInBad: number;
}

/** Stationary figures of a Gilbert-Elliott channel. */
export interface GilbertElliottTheory {
  /** π_B = p/(p + r): long-run fraction of messages sent in the Bad state. */
  readonly badFraction: number;
  /** L = π_G·h_G + π_B·h_B: long-run loss rate. */
  readonly lossRate: number;
  /**
   * Mean length of a run of consecutive losses: L / (L − P(loss, loss)), where
   * P(loss, loss) = L² + λ·π_G·π_B·(h_B − h_G)² and λ = 1 − p − r. Equals 1/r when h_G = 0, h_B = 1.
   * 0 when nothing is ever lost.
   */
  readonly meanBurstLength: number;
  /** λ = 1 − p − r: the chain's second eigenvalue (lag-k state correlation is λ^k). */
  readonly lambda: number;
}

/** Stationary loss rate and mean loss-burst length of a channel (formulas in {@link GilbertElliottTheory}). */
export function gilbertElliottTheory(params: GilbertElliottParams): GilbertElliottTheory {
  const { p, r, lossInGood: hg, lossInBad: hb } = params;
  const badFraction = p + r > 0 ? p / (p + r) : 0;
  const goodFraction = 1 - badFraction;
  const lossRate = goodFraction * hg + badFraction * hb;
  const lambda = 1 - p - r;
  const pLossLoss = lossRate * lossRate + lambda * goodFraction * badFraction * (hb - hg) ** 2;
  const meanBurstLength = lossRate > 0 ? lossRate / (lossRate - pLossLoss) : 0;
  return { badFraction, lossRate, meanBurstLength, lambda };
}

const targetSchema = z.strictObject({
  lossRate: z.number().min(0).lt(1),
  meanBurstLength: z.number().min(1).max(1e9),
  lossInGood: z.number().min(0).max(1).default(0),
  lossInBad: z.number().min(0).max(1).default(1),
});

/** Target figures for {@link gilbertElliottFromTarget}. */
export type GilbertElliottTarget = z.input<typeof targetSchema>;

/**
 * Solves for the transition probabilities that give a target loss rate L and mean loss-burst
 * length b, for given per-state loss probabilities (default Gilbert's h_G = 0, h_B = 1):
 *
 *   π_B = (L − h_G)/(h_B − h_G),
 *   λ = (L·(1 − 1/b) − L²) / (π_G·π_B·(h_B − h_G)²),
 *   p = π_B·(1 − λ), r = π_G·(1 − λ).
 *
 * With h_G = 0, h_B = 1 this is r = 1/b and p = L/(b·(1 − L)). Throws {@link ConfigError} naming
 * the field when the target is out of range or not reachable with the given h_G/h_B.
 *
 * @param where field prefix for error messages
 */
export function gilbertElliottFromTarget(target: GilbertElliottTarget, where = 'gilbertElliott'): GilbertElliottParams {
  const t = parseOptions(targetSchema, target, where);
  const { lossRate: L, meanBurstLength: b, lossInGood: hg, lossInBad: hb } = t;
  if (L === 0) return Object.freeze({ p: 0, r: 1, lossInGood: 0, lossInBad: hb });
  if (!(hg <= L && L <= hb) || hg === hb) {
    throw new ConfigError(
      `${where}.lossRate`,
      `${where}.lossRate: expected a value between lossInGood (${hg}) and lossInBad (${hb}), which must differ, got ${L}`,
    );
  }
  const bad = (L - hg) / (hb - hg);
  const good = 1 - bad;
  const lambda = (L * (1 - 1 / b) - L * L) / (good * bad * (hb - hg) ** 2);
  const p = bad * (1 - lambda);
  const r = good * (1 - lambda);
  if (!(lambda < 1) || !(p > 0 && p <= 1) || !(r > 0 && r <= 1)) {
    throw new ConfigError(
      `${where}.meanBurstLength`,
      `${where}.meanBurstLength: expected a burst length reachable with lossRate ${L}, lossInGood ${hg} and lossInBad ${hb} (transition probabilities in (0, 1]), got ${b}`,
    );
  }
  return Object.freeze({ p, r, lossInGood: hg, lossInBad: hb });
}

/**
 * A Gilbert-Elliott loss channel with its own state. {@link step} decides one message (state
 * transition, then loss in the new state), consuming exactly two uniforms from the given stream
 * every call, so a stream stays aligned whatever the parameters.
 */
export class GilbertElliott {
  private params: GilbertElliottParams;
  private bad: boolean | undefined;

  /** @param params transition and loss probabilities, e.g. from {@link gilbertElliottFromTarget} */
  constructor(params: GilbertElliottParams) {
    this.params = params;
  }

  /** Replaces the parameters, keeping the current state (a profile change mid-run). */
  setParams(params: GilbertElliottParams): void {
    this.params = params;
  }

  /** True while in the Bad state (undefined before the first step). */
  get inBadState(): boolean | undefined {
    return this.bad;
  }

  /**
   * Fate of the next message: true when it is lost. The state moves first (the first call draws it
   * from the stationary π instead, so short runs are unbiased too), then the loss is drawn in it.
   */
  step(rng: SeededRandom): boolean {
    const prm = this.params;
    const v = rng.next();
    const u = rng.next();
    if (this.bad === undefined) this.bad = v < (prm.p + prm.r > 0 ? prm.p / (prm.p + prm.r) : 0);
    else if (this.bad) this.bad = !(v < prm.r);
    else this.bad = v < prm.p;
    return u < (this.bad ? prm.lossInBad : prm.lossInGood);
  }
}
