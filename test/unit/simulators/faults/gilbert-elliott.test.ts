import assert from 'node:assert/strict';
import { ConfigError } from '../../../../common/errors.js';
import { SeededRandom } from '../../../../common/random.js';
import {
  GilbertElliott,
  gilbertElliottFromTarget,
  gilbertElliottTheory,
  type GilbertElliottParams,
} from '../../../../simulators/faults/gilbert-elliott.js';
import { within } from './stats.js';

const Z = 4.5; // standard errors inside each tolerance
const LOSS_TOL = 0.001; // ±0.1 percentage points (issue 4)
const BURST_TOL = 0.05; // ±5% of the theoretical mean burst length (issue 4)
const MAX_SAMPLES = 40_000_000; // guard: keeps this file around a second

/**
 * Messages needed so that both tolerances are ≥ Z standard errors.
 * Loss rate: the loss indicators are a hidden Markov chain with lag-k autocovariance
 * λ^k·π_G·π_B·(h_B − h_G)², so Var(L̂) = L(1 − L)·τ/n with τ = 1 + 2·λ/(1 − λ)·π_Gπ_B(h_B − h_G)²/(L(1 − L)).
 * Burst length: in Gilbert's model (h_G = 0, h_B = 1) runs are i.i.d. geometric with mean b and
 * variance b(b − 1), so the relative SE is √((b − 1)/b)/√runs with runs ≈ n·L/b; other h_G/h_B get
 * a 4× margin and are checked against an empirical batch-means SE below.
 */
function samplesNeeded(prm: GilbertElliottParams): number {
  const t = gilbertElliottTheory(prm);
  const L = t.lossRate;
  const b = t.meanBurstLength;
  const tau = 1 + ((2 * t.lambda) / (1 - t.lambda)) * ((t.badFraction * (1 - t.badFraction) * (prm.lossInBad - prm.lossInGood) ** 2) / (L * (1 - L)));
  const nLoss = (Z / LOSS_TOL) ** 2 * L * (1 - L) * tau;
  const gilbert = prm.lossInGood === 0 && prm.lossInBad === 1;
  const runs = (Z / BURST_TOL) ** 2 * ((b - 1) / b) * (gilbert ? 1 : 4);
  const nBurst = (runs * b) / L;
  return Math.ceil(Math.max(nLoss, nBurst, 100_000));
}

function simulate(prm: GilbertElliottParams, n: number, seed: string): { lossRate: number; meanBurst: number; seLoss: number; seBurst: number } {
  const ge = new GilbertElliott(prm);
  const rng = new SeededRandom(seed);
  const batches = 50;
  const per = Math.floor(n / batches);
  const bl: number[] = [];
  const bb: number[] = [];
  let losses = 0;
  let runs = 0;
  let prev = false;
  for (let k = 0; k < batches; k++) {
    let l = 0;
    let r = 0;
    for (let i = 0; i < per; i++) {
      const lost = ge.step(rng);
      if (lost) {
        l++;
        if (!prev) r++;
      }
      prev = lost;
    }
    losses += l;
    runs += r;
    bl.push(l / per);
    bb.push(r > 0 ? l / r : 0);
  }
  const se = (xs: number[]): number => {
    const m = xs.reduce((a, x) => a + x, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
  };
  return { lossRate: losses / (per * batches), meanBurst: losses / runs, seLoss: se(bl), seBurst: se(bb) };
}

describe('Gilbert-Elliott loss', () => {
  it('gilbertElliottFromTarget: r = 1/b and p = L/(b(1 − L)) in Gilbert\'s model; theory round-trips', () => {
    const prm = gilbertElliottFromTarget({ lossRate: 0.05, meanBurstLength: 3 });
    within(prm.r, 1 / 3, 1e-15, 'r');
    within(prm.p, 0.05 / (3 * 0.95), 1e-15, 'p');
    const t = gilbertElliottTheory(prm);
    within(t.lossRate, 0.05, 1e-15, 'L');
    within(t.meanBurstLength, 3, 1e-12, 'b');
    within(t.badFraction, 0.05, 1e-15, 'π_B');
    const g = gilbertElliottTheory(gilbertElliottFromTarget({ lossRate: 0.02, meanBurstLength: 1.6, lossInGood: 0.002, lossInBad: 0.5 }));
    within(g.lossRate, 0.02, 1e-15, 'general L');
    within(g.meanBurstLength, 1.6, 1e-12, 'general b');
  });

  const cases: [string, GilbertElliottParams][] = [
    ['good (L 0.1%, b 1.5)', gilbertElliottFromTarget({ lossRate: 0.001, meanBurstLength: 1.5 })],
    ['average (L 1%, b 2)', gilbertElliottFromTarget({ lossRate: 0.01, meanBurstLength: 2 })],
    ['poor (L 5%, b 3)', gilbertElliottFromTarget({ lossRate: 0.05, meanBurstLength: 3 })],
    ['outage (L 30%, b 5)', gilbertElliottFromTarget({ lossRate: 0.3, meanBurstLength: 5 })],
    ['h_G 0.2%, h_B 50% (L 2%, b 1.6)', gilbertElliottFromTarget({ lossRate: 0.02, meanBurstLength: 1.6, lossInGood: 0.002, lossInBad: 0.5 })],
  ];
  for (const [name, prm] of cases) {
    it(`${name}: loss rate within ±0.1 pp and mean burst length within ±5% of theory`, () => {
      const t = gilbertElliottTheory(prm);
      const n = samplesNeeded(prm);
      assert.ok(n <= MAX_SAMPLES, `needs ${n} samples`);
      const s = simulate(prm, n, name);
      within(s.lossRate, t.lossRate, LOSS_TOL, 'loss rate');
      within(s.meanBurst, t.meanBurstLength, BURST_TOL * t.meanBurstLength, 'mean burst length');
      // Soundness of the sample count: each tolerance is at least Z empirical (batch-means) SEs.
      assert.ok(LOSS_TOL >= Z * s.seLoss * 0.8, `loss tolerance is only ${(LOSS_TOL / s.seLoss).toFixed(1)} SE (n = ${n})`);
      assert.ok(BURST_TOL * t.meanBurstLength >= Z * s.seBurst * 0.8, `burst tolerance is only ${((BURST_TOL * t.meanBurstLength) / s.seBurst).toFixed(1)} SE (n = ${n})`);
    });
  }

  it('is burstier than Bernoulli at the same loss rate (runs are longer)', () => {
    const s = simulate(gilbertElliottFromTarget({ lossRate: 0.05, meanBurstLength: 4 }), 400_000, 'bursty');
    assert.ok(s.meanBurst > 3 * (1 / 0.95), `mean burst ${s.meanBurst}`);
  });

  it('zero loss never loses and reports burst length 0', () => {
    const prm = gilbertElliottFromTarget({ lossRate: 0, meanBurstLength: 3 });
    const ge = new GilbertElliott(prm);
    const rng = new SeededRandom(1);
    for (let i = 0; i < 10_000; i++) assert.equal(ge.step(rng), false);
    assert.equal(gilbertElliottTheory(prm).meanBurstLength, 0);
  });

  it('consumes exactly two uniforms per step whatever the state', () => {
    const a = new SeededRandom(9);
    const b = new SeededRandom(9);
    const ge = new GilbertElliott(gilbertElliottFromTarget({ lossRate: 0.3, meanBurstLength: 5 }));
    for (let i = 0; i < 1000; i++) ge.step(a);
    for (let i = 0; i < 2000; i++) b.next();
    assert.equal(a.nextU32(), b.nextU32());
  });

  const bad: [object, string][] = [
    [{ lossRate: 1.2, meanBurstLength: 2 }, 'gilbertElliott.lossRate: expected a value < 1, got 1.2'],
    [{ lossRate: 0.1, meanBurstLength: 0.5 }, 'gilbertElliott.meanBurstLength: expected a value >= 1, got 0.5'],
    [{ lossRate: 0.1 }, 'gilbertElliott.meanBurstLength: expected a number, got undefined'],
    [{ lossRate: 0.001, meanBurstLength: 2, lossInGood: 0.01 }, 'gilbertElliott.lossRate: expected a value between lossInGood (0.01) and lossInBad (1), which must differ, got 0.001'],
    [
      { lossRate: 0.3, meanBurstLength: 1.01, lossInBad: 0.5 },
      'gilbertElliott.meanBurstLength: expected a burst length reachable with lossRate 0.3, lossInGood 0 and lossInBad 0.5 (transition probabilities in (0, 1]), got 1.01',
    ],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)} naming field, expectation and value`, () => {
      assert.throws(
        () => gilbertElliottFromTarget(input as never),
        (e: unknown) => e instanceof ConfigError && e.message === message,
      );
    });
  }
});
