import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../../common/clock.js';
import { SeededRandom } from '../../../../common/random.js';
import { Ar1 } from '../../../../simulators/faults/ar1.js';
import { NetworkModel } from '../../../../simulators/faults/network-model.js';
import type { BodyMoments, DistributionName } from '../../../../simulators/faults/distributions.js';
import type { ProfileInput } from '../../../../simulators/faults/profiles.js';
import { fractionBelow, lag1, summarize, within } from './stats.js';

const N = 200_000;
const K = 5;

function delays(profile: ProfileInput, distribution: DistributionName, ar1: number, seed = 11): { xs: Float64Array; body: BodyMoments; quantile: (p: number) => number } {
  const net = new NetworkModel({ seed, clock: new SimulatedClock() });
  net.setProfile('v', 'stream', profile, { distribution, ar1 });
  const link = net.link('v', 'stream', 'c');
  const xs = new Float64Array(N);
  for (let i = 0; i < N; i++) xs[i] = link.next().delayMs;
  const p = link.profile()!;
  return { xs, body: p.body.moments(), quantile: (q) => p.body.quantile(q) };
}

describe('AR(1) correlated delays', () => {
  it('Ar1 keeps the N(0, 1) marginal and has lag-1 correlation φ', () => {
    const ar = new Ar1(0.7);
    const rng = new SeededRandom(3);
    const zs = new Float64Array(N);
    for (let i = 0; i < N; i++) zs[i] = ar.next(rng);
    const s = summarize(zs);
    const inflate = Math.sqrt((1 + 0.7) / (1 - 0.7));
    within(s.mean, 0, K * s.seMean * inflate, 'mean');
    within(s.sd, 1, K * Math.sqrt((1 + 0.49) / (2 * N * (1 - 0.49))), 'σ');
    within(lag1(zs), 0.7, K * Math.sqrt((1 - 0.49) / N), 'lag-1');
    assert.throws(() => new Ar1(1), /Ar1\.phi: expected a value in \(-1, 1\), got 1/);
  });

  const good: ProfileInput = { from: 'good', lossRate: 0 };
  for (const phi of [0, 0.5, 0.9]) {
    it(`normal body, φ = ${phi}: lag-1 autocorrelation ≈ φ and mean/σ unchanged`, () => {
      const { xs, body } = delays(good, 'normal', phi);
      // Bartlett: Var(r₁) ≈ (1 − φ²)/n for an AR(1).
      within(lag1(xs), phi, K * Math.sqrt((1 - phi * phi) / N), 'lag-1 autocorrelation');
      // Correlation inflates the SE of the mean by √((1+φ)/(1−φ)) and of s² by √((1+φ²)/(1−φ²)).
      const s = summarize(xs);
      within(s.mean, body.meanMs, K * (body.sdMs / Math.sqrt(N)) * Math.sqrt((1 + phi) / (1 - phi)), 'mean');
      within(s.sd, body.sdMs, K * body.sdMs * Math.sqrt((1 + phi * phi) / (2 * N * (1 - phi * phi))), 'σ');
    });
  }

  for (const dist of ['lognormal', 'gamma'] as const) {
    it(`${dist} body + tail, φ = 0.8: the marginal is preserved (CDF at exact quantiles) and delays stay positively correlated`, () => {
      const { xs, quantile } = delays({ from: 'poor', lossRate: 0, burstDelayMs: 0 }, dist, 0.8);
      // Indicator autocorrelations of a Gaussian copula are at most φ^k, so (1+φ)/(1−φ) bounds the variance inflation.
      const inflate = Math.sqrt((1 + 0.8) / (1 - 0.8));
      for (const p of [0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999]) {
        within(fractionBelow(xs, quantile(p)), p, K * inflate * Math.sqrt((p * (1 - p)) / N), `F(Q(${p}))`);
      }
      const r = lag1(xs);
      assert.ok(r > 0.6 && r < 0.8 + K * Math.sqrt(0.36 / N), `lag-1 ${r}`);
    });
  }

  it('lognormal without tail: lag-1 correlation of delays is (e^{s²φ} − 1)/(e^{s²} − 1)', () => {
    const { xs } = delays({ baseMs: 150, jitterMs: 50, lossRate: 0, tailProbability: 0 }, 'lognormal', 0.8);
    const s2 = Math.log(1 + (50 / 150) ** 2);
    const expected = (Math.exp(s2 * 0.8) - 1) / (Math.exp(s2) - 1);
    within(lag1(xs), expected, 6 * Math.sqrt((1 - 0.64) / N), 'lag-1');
  });

  it('a profile change keeps the AR state (the next delay stays correlated with the last)', () => {
    const net = new NetworkModel({ seed: 5, clock: new SimulatedClock() });
    net.setProfile('v', 'rest', { baseMs: 100, jitterMs: 10, lossRate: 0 }, { ar1: 0.99 });
    const link = net.link('v', 'rest', 'c');
    let last = 0;
    for (let i = 0; i < 100; i++) last = link.next().delayMs;
    net.setProfile('v', 'rest', { baseMs: 100, jitterMs: 10, lossRate: 0 }, { ar1: 0.5 });
    const z0 = (last - 100) / 10;
    const z1 = (link.next().delayMs - 100) / 10;
    // z1 = 0.5·z0 + √0.75·ε: with |ε| < 5 this stays within 4.4 of 0.5·z0.
    assert.ok(Math.abs(z1 - 0.5 * z0) < 4.4, `${z0} → ${z1}`);
  });
});
